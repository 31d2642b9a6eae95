import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaTable, RowsOutsidePartitionsError } from './table.ts';
import { BRONZE_TRADES, tradeEventToRow } from './tables/index.ts';
import { syntheticTrades } from '../test/support/lake/synthetic-trades.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { LakeQueryEngine } from './query/engine.ts';
import { Lake } from './lake.ts';
import { withLakeConnection } from './duckdb.ts';
import { RowValidationError } from './writer.ts';
import { ConcurrentAppendError, ConcurrentTransactionError } from './delta/conflicts.ts';
import { parseActions } from './delta/actions.ts';
import type { TradeEvent } from '../common/events/index.ts';

afterAll(removeTmpDirs);

async function openTrades() {
  const lake = new Lake(tmpLakeDir());
  const table = await lake.table('bronze/trades');
  return { lake, table };
}

describe('DeltaTable', () => {
  it('creates a table with protocol and metaData, and appends rows with stats and a txn in one commit', async () => {
    const { lake, table } = await openTrades();
    expect(table.version).toBe(0);
    const rows = syntheticTrades({ count: 500, symbols: ['BTCUSDT', 'ETHUSDT'], stepUs: 400_000_000 }); // spans 2+ days
    const res = await table.append(rows, { txn: [{ appId: 'stream:g:market.trades.v1:0', version: 500 }] });
    expect(res.version).toBe(1);
    expect(res.rows).toBe(500);

    const log = parseActions(fs.readFileSync(path.join(table.dir, '_delta_log', '00000000000000000001.json'), 'utf8'), 'v1');
    const adds = log.flatMap((a) => ('add' in a ? [a.add] : []));
    expect(adds.length).toBe(res.added.length);
    const partitions = new Set(adds.map((a) => `${a.partitionValues.symbol}/${a.partitionValues.date}`));
    expect([...partitions].sort()).toEqual(['BTCUSDT/2024-03-01', 'BTCUSDT/2024-03-02', 'BTCUSDT/2024-03-03', 'ETHUSDT/2024-03-01', 'ETHUSDT/2024-03-02', 'ETHUSDT/2024-03-03']);
    for (const a of adds) {
      expect(a.path).toMatch(/^symbol=[A-Z]+\/date=\d{4}-\d{2}-\d{2}\/part-[0-9a-f-]+\.parquet$/);
      expect(fs.statSync(path.join(table.dir, a.path)).size).toBe(a.size);
      const stats = JSON.parse(a.stats!);
      expect(stats.nullCount.first_trade_id).toBe(stats.numRecords);
    }
    expect(adds.reduce((n, a) => n + JSON.parse(a.stats!).numRecords, 0)).toBe(500);
    expect(log.some((a) => 'txn' in a && a.txn.appId === 'stream:g:market.trades.v1:0' && a.txn.version === 500)).toBe(true);
    // Exact decimals survive into stats text.
    const prices = rows.map((r) => r.price as string).sort((a, b) => Number(a) - Number(b));
    const allMins = adds.map((a) => a.stats!.match(/"price":([0-9.]+)/)![1]);
    expect(allMins).toContain(prices[0].replace(/^/, ''));

    const reopened = await DeltaTable.open(table.dir);
    expect(reopened.snapshot().txnVersion('stream:g:market.trades.v1:0')).toBe(500);
    expect(reopened.snapshot().txnVersions('stream:g:')).toEqual(new Map([['stream:g:market.trades.v1:0', 500]]));

    const engine = await LakeQueryEngine.open({ lake });
    try {
      const { rows: got } = await engine.query(`SELECT count(*) AS n, sum(qty) AS q, min(trade_time) AS t0 FROM bronze_trades`);
      const exactQty = rows.reduce((s, r) => s + BigInt((r.qty as string).replace('.', '')), 0n);
      expect(got[0].n).toBe('500');
      expect((got[0].q as string).replace('.', '')).toBe(exactQty.toString().padStart(9, '0'));
      expect(got[0].t0).toBe('2024-03-01 00:00:00+00');
    } finally {
      engine.close();
    }
  });

  it('maps trade events to rows and reads every field back exactly', async () => {
    const { lake, table } = await openTrades();
    const ev: TradeEvent = {
      v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'aggTrade', tradeId: 26129, firstTradeId: 27781, lastTradeId: 27783,
      price: '4261.48000000', qty: '0.07545500', quoteQty: '321.5500554', isBuyerMaker: true,
      tradeTimeUs: 1502942432285123, receivedAtUs: 1502942432300000, source: 'archive',
    };
    await table.append([tradeEventToRow(ev)]);
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const { rows } = await engine.query(`SELECT * FROM bronze_trades`);
      expect(rows).toEqual([{
        exchange: 'binance', symbol: 'BTCUSDT', kind: 'aggTrade', trade_id: '26129', first_trade_id: '27781', last_trade_id: '27783',
        price: '4261.48000000', qty: '0.07545500', quote_qty: '321.5500554000000000', is_buyer_maker: true,
        trade_time: '2017-08-17 04:00:32.285123+00', received_at: '2017-08-17 04:00:32.3+00', source: 'archive', date: '2017-08-17',
      }]);
    } finally {
      engine.close();
    }
  });

  it('refuses rows it cannot store exactly, and commits nothing', async () => {
    const { table } = await openTrades();
    const good = syntheticTrades({ count: 3 });
    const tooPrecise = { ...good[1], price: '60000.123456789' };
    await expect(table.append([good[0], tooPrecise])).rejects.toThrow(RowValidationError);
    await expect(table.append([{ ...good[0], qty: 1.5 }])).rejects.toThrow(/qty/);
    await expect(table.append([{ ...good[0], qty: '1e-3' }])).rejects.toThrow(/qty/);
    await expect(table.append([{ ...good[0], symbol: undefined }])).rejects.toThrow(/symbol is required/);
    await expect(table.append([{ ...good[0], price: '12345678901.5' }])).rejects.toThrow(/price/);
    expect((await table.refresh()).version).toBe(0);
    // trailing zeros beyond the scale are exact, so they are accepted
    await table.append([{ ...good[0], price: '60000.1000000000' }]);
    expect((await table.refresh()).version).toBe(1);
  });

  it('replaces partitions in one commit and keeps other partitions', async () => {
    const { lake, table } = await openTrades();
    await table.append(syntheticTrades({ count: 300, symbols: ['BTCUSDT', 'ETHUSDT'], stepUs: 600_000_000 }));
    const before = await table.refresh();
    const replacement = syntheticTrades({ count: 7, symbols: ['BTCUSDT'], firstTradeId: 1_000_000, seed: 7 });
    const res = await table.replacePartitions(replacement, { partitions: [{ symbol: 'BTCUSDT', date: '2024-03-01' }] });
    expect(res.removed.length).toBe(before.filesInPartition({ symbol: 'BTCUSDT', date: '2024-03-01' }).length);
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const count = async (where: string) => Number((await engine.query(`SELECT count(*) AS n FROM bronze_trades WHERE ${where}`)).rows[0].n);
      expect(await count(`symbol = 'BTCUSDT' AND date = DATE '2024-03-01'`)).toBe(7);
      expect(await count(`symbol = 'BTCUSDT' AND date = DATE '2024-03-01' AND trade_id >= 1000000`)).toBe(7);
      const ethBefore = 300 / 2;
      expect(await count(`symbol = 'ETHUSDT'`)).toBe(ethBefore);
      // rows outside the named partitions are refused
      await expect(table.replacePartitions(syntheticTrades({ count: 2, symbols: ['ETHUSDT'] }), { partitions: [{ symbol: 'BTCUSDT', date: '2024-03-01' }] })).rejects.toThrow(RowsOutsidePartitionsError);
    } finally {
      engine.close();
    }
  });

  it('replacePartitionsFromSql refuses a row with a null partition value: once written (the files deleted), or (listed partitions) at commit, leaving no file', async () => {
    const lake = new Lake(tmpLakeDir());
    const table = await lake.createTable({
      name: 'gold/null_partitions',
      columns: [
        { name: 'day', type: 'string', nullable: false },
        { name: 'n', type: 'long', nullable: false },
      ],
      partitionColumns: ['day'],
    });
    const rows = `SELECT * FROM (VALUES ('2024-03-01', 1), (NULL, 2)) AS t(day, n)`;
    await withLakeConnection(async (conn) => {
      await expect(table.replacePartitionsFromSql(conn, rows)).rejects.toThrow(RowValidationError);
      await expect(table.replacePartitionsFromSql(conn, rows, { partitions: [{ day: '2024-03-01' }] })).rejects.toThrow(RowsOutsidePartitionsError);
    });
    expect((await table.refresh()).version).toBe(0);
    const parquet = fs.readdirSync(table.dir, { recursive: true }).filter((f) => String(f).endsWith('.parquet'));
    expect(parquet).toEqual([]);
  });

  it('append refuses rows whose derived partition value is null, leaving no file and no commit', async () => {
    const lake = new Lake(tmpLakeDir());
    const table = await lake.createTable({
      name: 'gold/null_derived_partitions',
      columns: [
        { name: 'seen_at', type: 'timestamp' },
        { name: 'n', type: 'long', nullable: false },
        { name: 'date', type: 'date', nullable: false, derivedFrom: 'CAST(make_timestamp(epoch_us(seen_at)) AS DATE)' },
      ],
      partitionColumns: ['date'],
    });
    const at = Date.UTC(2024, 2, 1) * 1000;
    await expect(table.append([{ seen_at: at, n: 1 }, { seen_at: null, n: 2 }, { seen_at: null, n: 3 }])).rejects.toThrow(/2 row\(s\) have a null partition column/);
    expect((await table.refresh()).version).toBe(0);
    const parquet = fs.readdirSync(table.dir, { recursive: true }).filter((f) => String(f).endsWith('.parquet'));
    expect(parquet).toEqual([]);
    expect(fs.readdirSync(table.dir).filter((d) => d.startsWith('date='))).toEqual(['date=2024-03-01']);
    await table.append([{ seen_at: at, n: 1 }]);
    expect((await table.refresh()).numRecords()).toBe(1);
  });

  it('stages files a month a partition, a day a file where fileSplit says: invisible until committed, replacing exactly the files named, deleted when discarded', async () => {
    const lake = new Lake(tmpLakeDir());
    const table = await lake.createTable({
      name: 'gold/staged',
      columns: [
        { name: 'date', type: 'date', nullable: false },
        { name: 'n', type: 'long', nullable: false },
        { name: 'month', type: 'string', nullable: false, derivedFrom: `strftime("date", '%Y-%m')` },
      ],
      partitionColumns: ['month'],
    });
    const parquet = () => (fs.readdirSync(table.dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).map((f) => f.split(path.sep).join('/')).sort();
    const rows = (days: string[], n: number) => `SELECT CAST(d AS DATE) AS "date", ${n}::BIGINT AS n FROM (VALUES ${days.map((d) => `('${d}')`).join(', ')}) AS t(d)`;
    // February a file a day (the split), January one file.
    const split = `CASE WHEN strftime("date", '%Y-%m') >= '2024-02' THEN CAST("date" AS VARCHAR) ELSE 'month' END`;
    await withLakeConnection(async (conn) => {
      const staged = await table.stageFromSql(conn, rows(['2024-01-30', '2024-01-31', '2024-02-01', '2024-02-02'], 1), { fileSplit: split });
      expect(staged.map((a) => a.partitionValues.month).sort()).toEqual(['2024-01', '2024-02', '2024-02']);
      expect(staged.every((a) => /^month=2024-0[12]\/part-[0-9a-f-]+\.parquet$/.test(a.path))).toBe(true);
      expect((await table.refresh()).files.size).toBe(0);
      const first = await table.replacePartitionsWith(staged, { partitions: [{}] });
      expect(first.rows).toBe(4);
      // Replace 2024-02-02's file alone; a staged replacement that is discarded leaves nothing behind.
      const day = [...(await table.refresh()).files.values()].filter((f) => f.stats?.includes('"2024-02-02"'));
      expect(day).toHaveLength(1);
      const discarded = await table.stageFromSql(conn, rows(['2024-02-02'], 9), { fileSplit: split });
      await table.discardStaged(discarded);
      expect(parquet()).toEqual(staged.map((a) => a.path).sort());
      const again = await table.stageFromSql(conn, rows(['2024-02-02'], 2), { fileSplit: split });
      const second = await table.replaceFilesWith(again, { remove: day, partitions: [{ month: '2024-02' }], readSnapshot: table.snapshot() });
      expect(second.removed.map((r) => r.path)).toEqual(day.map((f) => f.path));
      const engine = await LakeQueryEngine.open({ lake });
      try {
        const { rows: read } = await engine.query(`SELECT CAST("date" AS VARCHAR) AS d, n, month FROM gold_staged ORDER BY 1`);
        expect(read.map((r) => [r.d, Number(r.n), r.month])).toEqual([
          ['2024-01-30', 1, '2024-01'],
          ['2024-01-31', 1, '2024-01'],
          ['2024-02-01', 1, '2024-02'],
          ['2024-02-02', 2, '2024-02'],
        ]);
      } finally {
        engine.close();
      }
    });
  });

  it('fails a replace that overlaps a concurrent append into the same partition, but lets blind appends through', async () => {
    const { table } = await openTrades();
    await table.append(syntheticTrades({ count: 10 }));
    const other = await DeltaTable.open(table.dir);
    const read = await table.refresh();
    // another handle appends to the partition after we read
    await other.append(syntheticTrades({ count: 5, firstTradeId: 100 }));
    await expect(
      table.commit({
        actions: [...read.files.values()].map((f) => ({ remove: { path: f.path, deletionTimestamp: Date.now(), dataChange: true } })),
        operation: 'WRITE',
        readSnapshot: read,
        scope: { removes: new Set(read.files.keys()), replacedPartitions: [{ symbol: 'BTCUSDT', date: '2024-03-01' }], txnAppIds: new Set(), changesMetadata: false, partitionColumns: read.partitionColumns },
      }),
    ).rejects.toThrow(ConcurrentAppendError);
    // two appends from stale handles both land
    const a = await table.append(syntheticTrades({ count: 3, firstTradeId: 200 }));
    const b = await other.append(syntheticTrades({ count: 4, firstTradeId: 300 }));
    expect(new Set([a.version, b.version]).size).toBe(2);
    expect((await table.refresh()).numRecords()).toBe(10 + 5 + 3 + 4);
    // the same streaming appId from two writers conflicts
    const stale = table.snapshot();
    await other.append(syntheticTrades({ count: 1 }), { txn: [{ appId: 'stream:x', version: 5 }] });
    await expect(
      table.commit({ actions: [{ txn: { appId: 'stream:x', version: 6 } }], operation: 'WRITE', readSnapshot: stale, scope: { removes: new Set(), txnAppIds: new Set(['stream:x']), changesMetadata: false, partitionColumns: stale.partitionColumns } }),
    ).rejects.toThrow(ConcurrentTransactionError);
  });

  it('travels in time by version and by timestamp', async () => {
    const { lake, table } = await openTrades();
    const v1 = await table.append(syntheticTrades({ count: 10 }));
    await new Promise((r) => setTimeout(r, 20));
    const t1 = (await table.refresh()).timestamp;
    const v2 = await table.append(syntheticTrades({ count: 20, firstTradeId: 100 }));
    const v3 = await table.replacePartitions(syntheticTrades({ count: 1, firstTradeId: 999 }));
    expect((await table.snapshotAt(v1.version)).numRecords()).toBe(10);
    expect((await table.snapshotAt(v2.version)).numRecords()).toBe(30);
    expect((await table.snapshotAt(v3.version)).numRecords()).toBe(1);
    expect((await table.snapshotAsOf(t1)).version).toBe(v1.version);
    expect((await table.snapshotAsOf(t1 + 1)).version).toBe(v1.version);
    expect((await table.snapshotAsOf(new Date())).version).toBe(v3.version);
    await expect(table.snapshotAsOf(0)).rejects.toThrow(/no version/);

    const engine = await LakeQueryEngine.open({ lake });
    try {
      const count = async () => Number((await engine.query('SELECT count(*) AS n FROM bronze_trades')).rows[0].n);
      expect(await count()).toBe(1);
      await engine.pin('bronze/trades', { version: v2.version });
      expect(await count()).toBe(30);
      await engine.pin('bronze/trades', { timestamp: t1 });
      expect(await count()).toBe(10);
      await engine.refresh(); // pinned views stay pinned
      expect(await count()).toBe(10);
      await engine.unpin('bronze/trades');
      expect(await count()).toBe(1);
    } finally {
      engine.close();
    }
  });

  it('adds a column: old files read it as null, new files carry it', async () => {
    const { lake, table } = await openTrades();
    await table.append(syntheticTrades({ count: 5 }));
    await table.addColumns([{ name: 'venue_seq', type: 'long' }, { name: 'note', type: 'string' }]);
    await table.append(syntheticTrades({ count: 3, firstTradeId: 100 }).map((r, i) => ({ ...r, venue_seq: 10 + i, note: 'new' })));
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const { rows } = await engine.query(`SELECT trade_id, venue_seq, note FROM bronze_trades ORDER BY trade_id`);
      expect(rows.map((r) => [r.trade_id, r.venue_seq, r.note])).toEqual([
        ['1', null, null], ['2', null, null], ['3', null, null], ['4', null, null], ['5', null, null],
        ['100', '10', 'new'], ['101', '11', 'new'], ['102', '12', 'new'],
      ]);
    } finally {
      engine.close();
    }
    expect((await DeltaTable.open(table.dir)).snapshot().columns.map((c) => c.name)).toContain('venue_seq');
  });

  it('writes checkpoints every 10 commits and opens from them', async () => {
    const { table } = await openTrades();
    for (let i = 0; i < 12; i++) await table.append(syntheticTrades({ count: 2, firstTradeId: i * 10 }), { txn: [{ appId: 'a', version: i }] });
    const logDir = path.join(table.dir, '_delta_log');
    expect(fs.existsSync(path.join(logDir, '00000000000000000010.checkpoint.parquet'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(logDir, '_last_checkpoint'), 'utf8')).version).toBe(10);
    // Prove the checkpoint is used: remove the commits it covers.
    for (let v = 0; v <= 10; v++) fs.rmSync(path.join(logDir, `${String(v).padStart(20, '0')}.json`));
    const reopened = await DeltaTable.open(table.dir);
    expect(reopened.version).toBe(12);
    expect(reopened.snapshot().numRecords()).toBe(24);
    expect(reopened.snapshot().txnVersion('a')).toBe(11);
    expect(reopened.snapshot().columns).toEqual((await table.refresh()).columns);
  });

  it('lists history newest first', async () => {
    const { table } = await openTrades();
    await table.append(syntheticTrades({ count: 4 }));
    await table.replacePartitions(syntheticTrades({ count: 2 }));
    const h = await table.history();
    expect(h.map((e) => e.operation)).toEqual(['WRITE', 'WRITE', 'CREATE TABLE']);
    expect(h[0]).toMatchObject({ version: 2, removedFiles: 1, addedFiles: 1, addedRows: 2, readVersion: 1 });
    expect(h[1]).toMatchObject({ version: 1, addedRows: 4, isBlindAppend: true });
  });

  it('creates a table once when two handles race to create it', async () => {
    const dir = path.join(tmpLakeDir(), 'bronze', 'trades');
    const [a, b] = await Promise.all([DeltaTable.create(dir, BRONZE_TRADES), DeltaTable.create(dir, BRONZE_TRADES)]);
    expect(a.version).toBe(0);
    expect(b.version).toBe(0);
    expect(a.snapshot().metadata.id).toBe(b.snapshot().metadata.id);
  });
});
