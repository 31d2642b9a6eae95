/** Parquet writing on a worker thread: the same files as on the caller's thread, errors carried back. */
import { afterAll, describe, expect, it } from 'vitest';
import { Lake } from './lake.ts';
import { LakeQueryEngine } from './query/engine.ts';
import { syntheticTrades } from '../test/support/lake/synthetic-trades.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { RowValidationError } from './writer.ts';
import { WriterThread } from './writer-thread.ts';

const threads: WriterThread[] = [];
afterAll(async () => {
  await Promise.all(threads.map((t) => t.close()));
  removeTmpDirs();
});

async function startThread(): Promise<WriterThread> {
  const t = await WriterThread.start({ threads: 1 });
  threads.push(t);
  return t;
}

async function tradesOf(lake: Lake): Promise<Record<string, unknown>[]> {
  const engine = await LakeQueryEngine.open({ lake });
  try {
    return (await engine.query(`SELECT symbol, trade_id, price::VARCHAR AS price, qty::VARCHAR AS qty, quote_qty::VARCHAR AS quote_qty, epoch_us(trade_time) AS t FROM bronze_trades ORDER BY symbol, trade_id`)).rows;
  } finally {
    engine.close();
  }
}

describe('WriterThread', () => {
  it('appends through the worker read back exactly like appends on this thread, concurrently too', async () => {
    const writer = await startThread();
    const batches = [0, 1, 2].map((i) => syntheticTrades({ count: 5_000, symbols: ['BTCUSDT', 'ETHUSDT'], firstTradeId: 1 + i * 10_000 }));
    const onWorker = new Lake(tmpLakeDir(), { rowWriter: writer.write });
    const here = new Lake(tmpLakeDir());
    const workerTable = await onWorker.table('bronze/trades');
    // Three appends in flight at once: the worker answers each with its own files.
    await Promise.all(batches.map((b) => workerTable.append(b)));
    expect(workerTable.version).toBe(3);
    for (const b of batches) await (await here.table('bronze/trades')).append(b);
    const a = await tradesOf(onWorker);
    expect(a).toHaveLength(15_000);
    expect(a).toEqual(await tradesOf(here));
  });

  it('a bad row fails the append with a RowValidationError and commits nothing', async () => {
    const writer = await startThread();
    const table = await new Lake(tmpLakeDir(), { rowWriter: writer.write }).table('bronze/trades');
    const rows = syntheticTrades({ count: 10, symbols: ['BTCUSDT'] }).map((r, i) => (i === 7 ? { ...r, price: '1.123456789' } : r));
    const err = await table.append(rows).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RowValidationError);
    expect((err as Error).message).toMatch(/price/);
    expect(table.version).toBe(0);
    // The worker is still good for the next write.
    await table.append(syntheticTrades({ count: 10, symbols: ['BTCUSDT'] }));
    expect(table.version).toBe(1);
  });

  it('writes after close fail clearly', async () => {
    const writer = await startThread();
    await writer.close();
    const table = await new Lake(tmpLakeDir(), { rowWriter: writer.write }).table('bronze/trades');
    await expect(table.append(syntheticTrades({ count: 1, symbols: ['BTCUSDT'] }))).rejects.toThrow(/closed/);
  });
});
