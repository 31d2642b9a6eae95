/**
 * Candle revisions stay strictly ordered between a backfill and the stream writing the same
 * candles (real lake, real DuckDB; the backfill's silver writer and the stream's, no mocks): a
 * backfill rewrite (`all`) wins over what it replaces, a later stream revision wins over the
 * backfill (even when the stream's own counter would give it the backfill's number), a stream
 * final after a `missing` backfill wins over it, and a backfill commit that lands between the
 * stream's numbering and its commit makes the stream commit again above it. Never two rows with a
 * candle's top revision.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CandleEvent } from '../../common/events/index.ts';
import { createLogger } from '../../common/logger.ts';
import { Lake, LakeQueryEngine, withLakeConnection } from '../../lake/index.ts';
import { CandleOperator, SilverWriter } from '../../streaming/index.ts';
import type { BackfillMode } from './input.ts';
import { writeSilverPartitions } from './silver-writer.ts';
import { dropStaged, stageCandleEvents, stagingName } from './staging.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-revisions-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const DAY = '2024-03-01';
const DAY_US = Date.parse(`${DAY}T00:00:00Z`) * 1000;
const K = DAY_US + 600 * 60_000_000; // 10:00
const K2 = K + 60_000_000; // 10:01

function candle(ws: number, close: string, revision: number): CandleEvent {
  return {
    v: 1, exchange: 'binance', symbol: 'BTCUSDT', interval: '1m', windowStartUs: ws, windowEndUs: ws + 60_000_000,
    open: '100.00000000', high: '200.00000000', low: '50.00000000', close, volume: '2.00000000', quoteVolume: '300.0000000000000000', vwap: '150.0000000000000000',
    tradeCount: 2, takerBuyVolume: '1.00000000', takerBuyQuoteVolume: '150.0000000000000000', firstTradeId: 1, lastTradeId: 2,
    revision, isFinal: true, finalizedAtUs: ws + 61_000_000, emittedAtUs: ws + 61_000_000,
  } as CandleEvent;
}

async function backfill(lake: Lake, candles: CandleEvent[], mode: BackfillMode, runVersion: number) {
  return withLakeConnection(async (conn) => {
    const staged = stagingName('rev_test');
    try {
      await stageCandleEvents(conn, candles, staged);
      return await writeSilverPartitions(lake, conn, staged, { exchange: 'binance', symbol: 'BTCUSDT', days: [DAY], source: 'klines', mode, runVersion });
    } finally {
      await dropStaged(conn, staged);
    }
  });
}

async function revisions(lake: Lake, ws: number): Promise<{ latest: { close: string; revision: number; source: string | null }; all: [number, string | null][] }> {
  const engine = await LakeQueryEngine.open({ lake });
  try {
    const where = `"interval" = '1m' AND window_start = make_timestamp(${ws})`;
    const latest = (await engine.query(`SELECT close::VARCHAR AS close, revision, source FROM silver_candles WHERE ${where}`)).rows;
    const all = (await engine.query(`SELECT revision, source FROM silver_candles_all_revisions WHERE ${where} ORDER BY revision, source NULLS LAST`)).rows;
    // Never two rows of one candle at its top revision (silver_candles would pick one arbitrarily).
    const dup = (
      await engine.query(`SELECT count(*) AS n FROM (SELECT window_start, "interval", revision, count(*) AS c FROM silver_candles_all_revisions GROUP BY window_start, "interval", revision
        QUALIFY revision = max(revision) OVER (PARTITION BY window_start, "interval")) WHERE c > 1`)
    ).rows[0];
    expect(Number(dup.n)).toBe(0);
    expect(latest).toHaveLength(1);
    return { latest: { close: String(latest[0].close), revision: Number(latest[0].revision), source: (latest[0].source as string | null) ?? null }, all: all.map((r) => [Number(r.revision), (r.source as string | null) ?? null]) };
  } finally {
    engine.connection.closeSync();
  }
}

/** The stream's silver writer over `lake`, owning trades partition 0 (claimed, as a running stream does). */
async function streamWriter(lake: Lake) {
  const operator = new CandleOperator();
  operator.restoreEmitted('binance', 'BTCUSDT', 0, '1m', K, candle(K, '1.00000000', 0)); // the operator knows the symbol's partition
  const state = { silverAppId: 'stream:test:silver:trades:0', silverEpoch: undefined as number | undefined, ready: true, partition: 0 };
  const writer = new SilverWriter({ lake, operator, logger: createLogger('revisions-test', 'warn'), tradesPartition: () => state as never, reset: () => undefined });
  await writer.claim([state as never]);
  return { commit: async (candles: CandleEvent[]) => writer.commit(writer.owned(candles)) };
}

describe('candle revisions between a backfill and the stream', () => {
  it('a backfill wins over what it replaces; a later stream revision wins over the backfill; strictly ordered', async () => {
    const lake = new Lake(path.join(dir, 'ordered'));
    const stream = await streamWriter(lake);
    // The stream finalises K (revision 0).
    expect((await stream.commit([candle(K, '110.00000000', 0)])).map((c) => c.revision)).toEqual([0]);
    // A backfill rewrites the day (mode all): K at revision 1, from the archive.
    await backfill(lake, [candle(K, '120.00000000', 0)], 'all', 1);
    expect((await revisions(lake, K)).latest).toEqual({ close: '120.00000000', revision: 1, source: 'klines' });
    // A late trade: the stream's own counter says revision 1 (it emitted 0), the same number as the backfill's.
    const committed = await stream.commit([candle(K, '130.00000000', 1)]);
    expect(committed.map((c) => c.revision)).toEqual([2]);
    expect((await revisions(lake, K)).latest).toEqual({ close: '130.00000000', revision: 2, source: null });
    // The backfill again: above the stream's revision.
    await backfill(lake, [candle(K, '140.00000000', 0)], 'all', 2);
    expect((await revisions(lake, K)).latest).toEqual({ close: '140.00000000', revision: 3, source: 'klines' });
    // And the stream again (its counter says 2): above the backfill's.
    expect((await stream.commit([candle(K, '150.00000000', 2)])).map((c) => c.revision)).toEqual([4]);
    expect(await revisions(lake, K)).toEqual({ latest: { close: '150.00000000', revision: 4, source: null }, all: [[3, 'klines'], [4, null]] });

    // Mode missing adds K2 (revision 0) before the stream finalised it; the stream's final of K2 wins over it.
    await backfill(lake, [candle(K2, '160.00000000', 0)], 'missing', 3);
    expect((await revisions(lake, K2)).latest).toEqual({ close: '160.00000000', revision: 0, source: 'klines' });
    expect((await stream.commit([candle(K2, '170.00000000', 0)])).map((c) => c.revision)).toEqual([1]);
    expect((await revisions(lake, K2)).latest).toEqual({ close: '170.00000000', revision: 1, source: null });
  }, 60_000);

  it('a backfill commit between the stream\'s numbering and its commit: the stream commits again above it', async () => {
    const lake = new Lake(path.join(dir, 'raced'));
    const stream = await streamWriter(lake);
    await stream.commit([candle(K, '110.00000000', 0)]);
    await backfill(lake, [candle(K, '120.00000000', 0)], 'all', 1); // K at 1; the stream now knows the partition's floors
    await stream.commit([candle(K, '130.00000000', 1)]); // → 2

    // The next stream commit is numbered (3) against a snapshot; then, before it lands, another
    // process's backfill rewrites the day from that same snapshot (its K: 2 + 1 = 3).
    const silver = await lake.table('silver/candles');
    const append = silver.append.bind(silver);
    let raced = false;
    silver.append = async (...args: Parameters<typeof append>) => {
      if (!raced) {
        raced = true;
        await backfill(new Lake(lake.root), [candle(K, '140.00000000', 0)], 'all', 2);
      }
      return append(...args);
    };
    const committed = await stream.commit([candle(K, '150.00000000', 2)]);
    silver.append = append;
    expect(raced).toBe(true);
    // Committed at 3 (tying the backfill's 3: history keeps both), then again at 4, above it: the top is the stream's alone.
    expect(committed.map((c) => c.revision)).toEqual([3, 4]);
    expect(await revisions(lake, K)).toEqual({ latest: { close: '150.00000000', revision: 4, source: null }, all: [[3, 'klines'], [3, null], [4, null]] });
  }, 60_000);
});
