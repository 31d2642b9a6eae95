/**
 * Must-show 1, 3 and 5 of issue 13 on the real Temporal dev server: a backfill started exactly as
 * the Temporal UI starts it (the `temporal` CLI: type, queue, one JSON input), against the local
 * data.binance.vision mirror serving the real January 2024 archive.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoveAction } from '../../lake/index.ts';
import { KLINES_2024_DIR } from '../../test/fixtures/paths.ts';
import { canonicalDecimal, oracleRollupSql, parseKlinesCsv, zipText, type BinanceKline } from '../../test/support/archive-oracle.ts';
import { temporal, workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import type { BackfillResult } from './types.ts';

const JANUARY = { symbols: ['BTCUSDT'], from: '2024-01-01', to: '2024-01-31', source: 'klines', mode: 'missing', dryRun: false, maxConcurrency: 4 };

let fx: WorkflowsFixture;
let archive: BinanceKline[];

async function startLikeTheUi(input: object): Promise<BackfillResult> {
  const id = `backfill-${randomUUID().slice(0, 8)}`;
  await temporal(['workflow', 'start', '--type', 'backfill', '--task-queue', 'marketlake-backfill', '--workflow-id', id, '--input', JSON.stringify(input)], fx.namespace);
  return fx.client.workflow.getHandle(id).result();
}

const CANDLE_COLUMNS = `epoch_ms(window_start) AS t, open::VARCHAR AS o, high::VARCHAR AS h, low::VARCHAR AS l, close::VARCHAR AS c, volume::VARCHAR AS v,
  quote_volume::VARCHAR AS qv, trade_count AS n, taker_buy_volume::VARCHAR AS tbv, taker_buy_quote_volume::VARCHAR AS tbqv`;

function canonicalRow(r: Record<string, unknown>): string {
  return [Number(r.t), ...['o', 'h', 'l', 'c', 'v', 'qv'].map((k) => canonicalDecimal(String(r[k]))), Number(r.n), canonicalDecimal(String(r.tbv)), canonicalDecimal(String(r.tbqv))].join(',');
}

/** Table versions once the gold builds earlier backfills started (abandoned children) have ended: they write gold tables. */
async function tableVersions(): Promise<Record<string, number>> {
  for (let i = 0; i < 600; i++) {
    let running = 0;
    for await (const _ of fx.client.workflow.list({ query: `WorkflowType = 'goldBuild' AND ExecutionStatus = 'Running'` })) running += 1;
    if (running === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const out: Record<string, number> = {};
  for (const name of await fx.lake.listTables()) out[name] = (await (await fx.lake.table(name)).refresh()).version;
  return out;
}

beforeAll(async () => {
  fx = await workflowsFixture('backfill-cli');
  archive = parseKlinesCsv(await zipText(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip')));
}, 120_000);
afterAll(async () => fx?.cleanup());

describe('backfill started as the Temporal UI starts it (temporal workflow start)', () => {
  it('January 2024 from the archive: silver 1m equals the archive digit for digit; 5m/15m/1h equal a SQL rollup of the archive', async () => {
    expect(archive).toHaveLength(44_640);
    const result = await startLikeTheUi(JANUARY);
    expect(result.failed).toEqual([]);
    expect(result.progress.partitions).toMatchObject({ total: 31, done: 31, failed: 0, skipped: 0 });
    expect(result.progress.rowsWritten).toBe(31 * (1440 + 288 + 96 + 24));

    const oneMinute = await fx.query(`SELECT ${CANDLE_COLUMNS}, source, is_final FROM silver_candles WHERE symbol = 'BTCUSDT' AND "interval" = '1m' ORDER BY window_start`);
    expect(oneMinute).toHaveLength(44_640);
    expect(new Set(oneMinute.map((r) => r.source))).toEqual(new Set(['klines']));
    const expected1m = archive.map((k) => [k.openTimeMs, k.open, k.high, k.low, k.close, k.volume, k.quoteVolume].map(String).map((s, i) => (i === 0 ? s : canonicalDecimal(s))).join(',') + `,${k.tradeCount},${canonicalDecimal(k.takerBuyVolume)},${canonicalDecimal(k.takerBuyQuoteVolume)}`);
    expect(oneMinute.map(canonicalRow)).toEqual(expected1m);
    // The decimals are the archive's own strings, not a float's approximation.
    expect(String(oneMinute[0].o)).toBe(archive[0].open);

    // The oracle rollup: the archive's rows in a DuckDB of the test's own, rolled up by oracleRollupSql.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-oracle-'));
    const csv = path.join(tmp, 'k.csv');
    fs.writeFileSync(csv, `t_ms,o,h,l,c,v,qv,n,tbv,tbqv\n${archive.map((k) => [k.openTimeMs, k.open, k.high, k.low, k.close, k.volume, k.quoteVolume, k.tradeCount, k.takerBuyVolume, k.takerBuyQuoteVolume].join(',')).join('\n')}\n`);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run(`CREATE TABLE k AS SELECT * FROM read_csv('${csv}', header = true, columns = {'t_ms': 'BIGINT', 'o': 'DECIMAL(18,8)', 'h': 'DECIMAL(18,8)', 'l': 'DECIMAL(18,8)', 'c': 'DECIMAL(18,8)',
        'v': 'DECIMAL(38,8)', 'qv': 'DECIMAL(38,8)', 'n': 'BIGINT', 'tbv': 'DECIMAL(38,8)', 'tbqv': 'DECIMAL(38,8)'})`);
      for (const [interval, minutes] of [['5m', 5], ['15m', 15], ['1h', 60]] as const) {
        const oracle = (await conn.runAndReadAll(`SELECT w AS t, o::VARCHAR AS o, h::VARCHAR AS h, l::VARCHAR AS l, c::VARCHAR AS c, v::VARCHAR AS v, qv::VARCHAR AS qv, n,
            tbv::VARCHAR AS tbv, tbqv::VARCHAR AS tbqv FROM (${oracleRollupSql(minutes)}) ORDER BY w`)).getRowObjectsJson();
        const lake = await fx.query(`SELECT ${CANDLE_COLUMNS} FROM silver_candles WHERE symbol = 'BTCUSDT' AND "interval" = '${interval}' ORDER BY window_start`);
        expect(lake.length, interval).toBe(44_640 / minutes);
        expect(lake.map(canonicalRow), interval).toEqual(oracle.map(canonicalRow));
      }
    } finally {
      conn.closeSync();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    // vwap is quote volume / volume, exact to 16 places.
    const [v] = await fx.query(`SELECT vwap::VARCHAR AS vwap, quote_volume::VARCHAR AS qv, volume::VARCHAR AS v FROM silver_candles WHERE symbol = 'BTCUSDT' AND "interval" = '1h' ORDER BY window_start LIMIT 1`);
    const q = BigInt(String(v.qv).replace('.', ''));
    const vol = BigInt(String(v.v).replace('.', ''));
    const scaled = (2n * q * 10n ** 8n + vol) / (2n * vol);
    expect(String(v.vwap).replace('.', '').replace(/^0+/, '')).toBe(scaled.toString());
  }, 180_000);

  it('the same input again with mode missing plans nothing; with mode all writes the same rows again, without duplicates', async () => {
    const before = await tableVersions();
    const again = await startLikeTheUi(JANUARY);
    expect(again.progress.partitions).toMatchObject({ total: 31, done: 0, skipped: 31, failed: 0 });
    expect(again.progress.rowsWritten).toBe(0);
    expect(await tableVersions()).toEqual(before);

    const snapshotRows = await fx.query(`SELECT "interval", ${CANDLE_COLUMNS} FROM silver_candles ORDER BY "interval", window_start`);
    const all = await startLikeTheUi({ ...JANUARY, mode: 'all' });
    expect(all.progress.partitions).toMatchObject({ total: 31, done: 31, failed: 0 });
    const rewritten = await fx.query(`SELECT "interval", ${CANDLE_COLUMNS} FROM silver_candles ORDER BY "interval", window_start`);
    expect(rewritten).toEqual(snapshotRows);
    const [counts] = await fx.query(`SELECT count(*) AS n, count(DISTINCT ("interval", window_start)) AS keys, max(revision) AS rev FROM silver_candles_all_revisions`);
    expect(Number(counts.n)).toBe(31 * 1848);
    expect(Number(counts.keys)).toBe(31 * 1848);
    // `all` wrote a newer revision of each candle.
    expect(Number(counts.rev)).toBe(1);
  }, 180_000);

  it('a dry run writes nothing and returns the plan; after one day is deleted, missing writes only that day', async () => {
    const before = await tableVersions();
    const dry = await startLikeTheUi({ ...JANUARY, from: '2024-01-10', to: '2024-01-12', mode: 'all', dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.plan!.items).toHaveLength(1);
    expect(dry.plan!.items[0].archive!.url).toBe(`${fx.binance.url}/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip`);
    expect(dry.plan!.items[0].days).toEqual(['2024-01-10', '2024-01-11', '2024-01-12']);
    expect(dry.plan!.existing.map((p) => p.candles1m)).toEqual([1440, 1440, 1440]);
    expect(dry.plan!.rowsExpected).toBe(3 * 1848);
    expect(await tableVersions()).toEqual(before);

    // Delete 2024-01-15 from silver (one commit removing the partition's files).
    const table = await fx.lake.table('silver/candles');
    const snap = await table.refresh();
    const files = snap.addFiles().filter((f) => f.partitionValues.date === '2024-01-15');
    expect(files.length).toBeGreaterThan(0);
    const removes: RemoveAction[] = files.map((f) => ({ path: f.path, deletionTimestamp: Date.now(), dataChange: true, partitionValues: f.partitionValues, size: f.size }));
    await table.commit({ actions: removes.map((remove) => ({ remove })), operation: 'DELETE', readSnapshot: snap, scope: { removes: new Set(removes.map((r) => r.path)), txnAppIds: new Set(), changesMetadata: false, partitionColumns: snap.partitionColumns } });
    const deletedAt = (await table.refresh()).version;

    const repaired = await startLikeTheUi(JANUARY);
    expect(repaired.progress.partitions).toMatchObject({ total: 31, done: 1, skipped: 30, failed: 0 });
    const commits = (await table.history(5)).filter((h) => h.version > deletedAt);
    expect(commits).toHaveLength(1);
    expect(JSON.parse(String(commits[0].operationParameters.partitions))).toEqual([{ symbol: 'BTCUSDT', date: '2024-01-15' }]);
    const [day] = await fx.query(`SELECT count(*) AS n FROM silver_candles WHERE symbol = 'BTCUSDT' AND date = DATE '2024-01-15' AND "interval" = '1m'`);
    expect(Number(day.n)).toBe(1440);
  }, 180_000);
});
