/**
 * Must-show 8 of issue 13: a backfill and a streaming writer committing to `silver/candles` at the
 * same time. The stream's commits are what its SilverWriter makes (blind appends of candle rows
 * with a `txn`); the backfill is the real work item (runItem, as its activity runs it) over the
 * local archive mirror. On other partitions both land; on the same partition the backfill's
 * commit conflicts, is merged again on top of the stream's rows and retried; no row is lost or
 * doubled.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/logger.ts';
import { createMetricsRegistry } from '../../common/metrics.ts';
import { Lake, LakeQueryEngine } from '../../lake/index.ts';
import { startBinanceLocalServer, type BinanceLocalServer } from '../../test/support/binance/binance-local-server.ts';
import { loadWorkerConfig } from '../config.ts';
import { runItem } from './runner.ts';

let binance: BinanceLocalServer;
let dir: string;

beforeAll(async () => {
  binance = await startBinanceLocalServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-concurrent-'));
});
afterAll(async () => {
  await binance?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const DAY_US = Date.parse('2017-08-17T00:00:00Z') * 1000;
const OTHER_DAY_US = Date.parse('2017-08-18T00:00:00Z') * 1000;

/** A 1m candle row as the stream writes it (source null), at minute `m` of the day starting at `dayUs`. */
function streamCandle(dayUs: number, m: number, revision: number) {
  const ws = dayUs + m * 60_000_000;
  return {
    exchange: 'binance', symbol: 'BTCUSDT', interval: '1m', window_start: ws, window_end: ws + 60_000_000,
    open: '4300.00000000', high: '4300.00000000', low: '4300.00000000', close: '4300.00000000', volume: '1.00000000', quote_volume: '4300.0000000000000000',
    vwap: '4300.0000000000000000', trade_count: 1, taker_buy_volume: '0.00000000', taker_buy_quote_volume: '0.0000000000000000',
    first_trade_id: m, last_trade_id: m, revision, is_final: true, finalized_at: ws + 60_000_000,
  };
}

describe('a backfill and the stream writing silver/candles at once', () => {
  it('the stream appending through the backfill\'s commit, on its partition and another: everything lands, no row lost or doubled', async () => {
    const lake = new Lake(path.join(dir, 'lake'));
    const config = loadWorkerConfig({ ...process.env, LAKE_DIR: lake.root, BACKFILL_CACHE_DIR: path.join(dir, 'cache'), BINANCE_ARCHIVE_URL: binance.url });
    const deps = { lake, config, fetch: globalThis.fetch, logger: createLogger('concurrent-test', 'warn'), registry: createMetricsRegistry('concurrent-test') };
    const silver = await lake.table('silver/candles');
    // The stream had already written a few minutes of the day.
    await silver.append([0, 1, 2].map((m) => streamCandle(DAY_US, 240 + m, 0)), { txn: [{ appId: 'stream:test:silver:trades:0', version: 1 }] });

    // From the moment the backfill starts its commit, the stream appends every 40 ms: minutes of the
    // same day (the backfill's partition) and of the next day (another partition). The same day's are
    // 00:00-00:14, before the day's first kline (04:00): a real stream writes a window the backfill
    // already wrote as a new revision, which this stand-in does not, so its new windows must be ones
    // the backfill does not write, whether they land before or after the backfill's commit.
    const appended: { dayUs: number; m: number }[] = [];
    let streaming: Promise<void> | undefined;
    const stream = async () => {
      for (let i = 0; i < 15; i++) {
        const rows = [streamCandle(DAY_US, i, 0), streamCandle(OTHER_DAY_US, i, 0)];
        await silver.append(rows, { txn: [{ appId: 'stream:test:silver:trades:0', version: 2 + i }] });
        appended.push({ dayUs: DAY_US, m: i }, { dayUs: OTHER_DAY_US, m: i });
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    const item = { id: 'BTCUSDT:klines:2017-08', symbol: 'BTCUSDT', source: 'klines' as const, restFallback: false, days: ['2017-08-17'], archive: { url: `${binance.url}/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2017-08-17.zip`, period: 'daily' as const, date: '2017-08-17' }, rowsExpected: 1848 };
    const result = await runItem(deps, { item, mode: 'missing', exchange: 'binance', runVersion: Date.now() }, {
      heartbeat: (d) => {
        if (d.phase === 'commit') streaming ??= stream();
      },
    });
    await streaming;
    expect(result.days).toEqual([expect.objectContaining({ day: '2017-08-17', status: 'done' })]);
    // Whether one of the stream's commits lands inside the backfill's read-to-commit window depends
    // on the machine's speed (on a quiet one it usually does not), so it is shown, not asserted;
    // what must hold either way is asserted below. The forced race is the next test.
    console.log(`[concurrent-writers] backfill conflict retries: ${result.conflictRetries}`);

    const engine = await LakeQueryEngine.open({ lake });
    try {
      const rows = (await engine.query(`SELECT epoch_us(window_start) AS ws, revision, source FROM silver_candles_all_revisions WHERE "interval" = '1m' ORDER BY ws, revision`)).rows;
      const key = (r: Record<string, unknown>) => `${r.ws}:${r.revision}`;
      // Nothing doubled: one row per candle and revision.
      expect(new Set(rows.map(key)).size).toBe(rows.length);
      // Nothing the stream wrote is lost, whichever partition it went to.
      const streamRows = new Set(rows.filter((r) => r.source === null).map((r) => Number(r.ws)));
      for (const m of [240, 241, 242]) expect(streamRows.has(DAY_US + m * 60_000_000)).toBe(true);
      for (const a of appended) expect(streamRows.has(a.dayUs + a.m * 60_000_000), `${a.dayUs}+${a.m}`).toBe(true);
      // The backfill added exactly the day's minutes the stream did not have (mode missing).
      const backfilled = rows.filter((r) => r.source === 'klines').map((r) => Number(r.ws));
      const dayKeys = new Set(rows.filter((r) => Number(r.ws) >= DAY_US && Number(r.ws) < OTHER_DAY_US).map((r) => Number(r.ws)));
      expect(backfilled.every((ws) => !streamRows.has(ws))).toBe(true);
      expect(dayKeys.size).toBe(new Set([...backfilled, ...[...streamRows].filter((ws) => ws < OTHER_DAY_US)]).size);
      expect(backfilled.length).toBeGreaterThan(1000);
    } finally {
      engine.connection.closeSync();
    }
  }, 120_000);

  it('a commit of another writer forced between the backfill\'s read and its commit: conflict detected, merged again, nothing lost or doubled', async () => {
    const lake = new Lake(path.join(dir, 'lake-forced'));
    const config = loadWorkerConfig({ ...process.env, LAKE_DIR: lake.root, BACKFILL_CACHE_DIR: path.join(dir, 'cache'), BINANCE_ARCHIVE_URL: binance.url });
    const deps = { lake, config, fetch: globalThis.fetch, logger: createLogger('concurrent-test', 'warn'), registry: createMetricsRegistry('concurrent-test') };
    const silver = await lake.table('silver/candles');
    // The stream had already written a few minutes of the day.
    await silver.append([0, 1, 2].map((m) => streamCandle(DAY_US, 240 + m, 0)), { txn: [{ appId: 'stream:test:silver:trades:0', version: 1 }] });

    // From the moment the backfill starts its commit, the stream appends every 40 ms: minutes of the
    // same day (the backfill's partition) and of the next day (another partition). The same day's are
    // 00:00-00:14, before the day's first kline (04:00): a real stream writes a window the backfill
    // already wrote as a new revision, which this stand-in does not, so its new windows must be ones
    // the backfill does not write, whether they land before or after the backfill's commit.
    const appended: { dayUs: number; m: number }[] = [];
    let streaming: Promise<void> | undefined;
    const stream = async () => {
      for (let i = 0; i < 15; i++) {
        const rows = [streamCandle(DAY_US, i, 0), streamCandle(OTHER_DAY_US, i, 0)];
        await silver.append(rows, { txn: [{ appId: 'stream:test:silver:trades:0', version: 2 + i }] });
        appended.push({ dayUs: DAY_US, m: i }, { dayUs: OTHER_DAY_US, m: i });
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    // And, deterministically, one stream commit to the backfill's own partition lands between the
    // backfill's read snapshot and its commit (the race itself, whatever the machine's speed),
    // written by another process's handle on the table (a Lake of its own); the lake hands the
    // backfill this process's cached handle, so its first replace is wrapped to let that land first.
    const otherWriter = await new Lake(lake.root).table('silver/candles');
    const replace = silver.replacePartitionsFromSql.bind(silver);
    let raced = false;
    silver.replacePartitionsFromSql = async (...args: Parameters<typeof replace>) => {
      if (!raced) {
        raced = true;
        await otherWriter.append([streamCandle(DAY_US, 900, 0)], { txn: [{ appId: 'stream:test:silver:trades:1', version: 1 }] });
        appended.push({ dayUs: DAY_US, m: 900 });
      }
      return replace(...args);
    };
    const item = { id: 'BTCUSDT:klines:2017-08', symbol: 'BTCUSDT', source: 'klines' as const, restFallback: false, days: ['2017-08-17'], archive: { url: `${binance.url}/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2017-08-17.zip`, period: 'daily' as const, date: '2017-08-17' }, rowsExpected: 1848 };
    const result = await runItem(deps, { item, mode: 'missing', exchange: 'binance', runVersion: Date.now() }, {
      heartbeat: (d) => {
        if (d.phase === 'commit') streaming ??= stream();
      },
    });
    await streaming;
    expect(result.days).toEqual([expect.objectContaining({ day: '2017-08-17', status: 'done' })]);
    // Whether one of the stream's commits lands inside the backfill's read-to-commit window depends
    // on the machine's speed (on a quiet one it usually does not), so it is shown, not asserted;
    // what must hold either way is asserted below. The forced race is the next test.
    expect(result.conflictRetries).toBeGreaterThanOrEqual(1);

    const engine = await LakeQueryEngine.open({ lake });
    try {
      const rows = (await engine.query(`SELECT epoch_us(window_start) AS ws, revision, source FROM silver_candles_all_revisions WHERE "interval" = '1m' ORDER BY ws, revision`)).rows;
      const key = (r: Record<string, unknown>) => `${r.ws}:${r.revision}`;
      // Nothing doubled: one row per candle and revision.
      expect(new Set(rows.map(key)).size).toBe(rows.length);
      // Nothing the stream wrote is lost, whichever partition it went to.
      const streamRows = new Set(rows.filter((r) => r.source === null).map((r) => Number(r.ws)));
      for (const m of [240, 241, 242]) expect(streamRows.has(DAY_US + m * 60_000_000)).toBe(true);
      for (const a of appended) expect(streamRows.has(a.dayUs + a.m * 60_000_000), `${a.dayUs}+${a.m}`).toBe(true);
      // The backfill added exactly the day's minutes the stream did not have (mode missing).
      const backfilled = rows.filter((r) => r.source === 'klines').map((r) => Number(r.ws));
      const dayKeys = new Set(rows.filter((r) => Number(r.ws) >= DAY_US && Number(r.ws) < OTHER_DAY_US).map((r) => Number(r.ws)));
      expect(backfilled.every((ws) => !streamRows.has(ws))).toBe(true);
      expect(dayKeys.size).toBe(new Set([...backfilled, ...[...streamRows].filter((ws) => ws < OTHER_DAY_US)]).size);
      expect(backfilled.length).toBeGreaterThan(1000);
    } finally {
      engine.connection.closeSync();
    }
  }, 120_000);
});
