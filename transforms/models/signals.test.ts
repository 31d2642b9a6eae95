/**
 * A full build of gold/signals pairs each window with the one before it in scan order only when
 * the indicator rows are in series order; rows in any other order (a series in two runs, two
 * windows swapped, no order at all) give the same signals, paired by a sort. Every window of the
 * planted series crosses its SMAs, so a window paired with the wrong neighbour changes the signals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { queryJson } from '../../lake/index.ts';
import type { BuildContext } from '../model.ts';
import { signalsModel } from './signals.ts';

let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  // SMA 20 above and below SMA 50 by turns (a cross every window); the other indicators anywhere around their thresholds.
  await conn.run(`CREATE TABLE indicators AS
    SELECT exchange, symbol, "interval", make_timestamptz(1704067200000000 + i * step) AS window_start, i, hash(exchange, symbol, "interval") AS s,
      CAST(100 + hash(i, 'c') % 20 AS DECIMAL(18,8)) AS close, CASE WHEN i % 2 = 0 THEN 101.0 ELSE 99.0 END AS sma_20, 100.0 AS sma_50,
      (hash(i, 'm') % 200)::DOUBLE / 100 - 1 AS macd, 0.0 AS macd_signal, 0.5 AS macd_hist, (hash(i, 'r') % 100)::DOUBLE AS rsi_14,
      115.0 AS bb_upper, 110.0 AS bb_middle, 105.0 AS bb_lower
    FROM (VALUES ('binance', 'AAA', '1m', 60000000), ('binance', 'AAA', '5m', 300000000), ('kraken', 'BBB', '1m', 60000000)) AS k(exchange, symbol, "interval", step),
      range(200) AS r(i)`);
});
afterAll(() => {
  conn.closeSync();
  db.closeSync();
});

async function signalsOf(order: string): Promise<Record<string, unknown>[]> {
  await conn.run(`CREATE OR REPLACE TABLE ordered AS SELECT * EXCLUDE (i, s) FROM indicators ORDER BY ${order}`);
  const ctx = { conn, partitions: 'all', nowUs: 1.7e15, outputHasRows: false, relation: () => 'ordered' } as unknown as BuildContext;
  await signalsModel.build!(ctx, 'signals');
  return queryJson(conn, `SELECT * EXCLUDE (raised_at) FROM signals ORDER BY alert_id`);
}

describe('gold/signals, full build', () => {
  it('gives the same signals from rows in series order and in any other order', async () => {
    const sorted = await signalsOf(`hash(i, s)`);
    expect(sorted.filter((r) => String(r.kind).startsWith('sma_cross')).length).toBe(3 * 199);
    expect(await signalsOf(`exchange, symbol, "interval", window_start`)).toEqual(sorted);
    // binance AAA 1m in two runs, kraken BBB 1m between them.
    expect(await signalsOf(`CASE WHEN symbol = 'AAA' AND "interval" = '1m' AND i >= 100 THEN 1 ELSE 0 END, exchange, symbol, "interval", window_start`)).toEqual(sorted);
    // Windows 50 and 51 of one series swapped.
    expect(await signalsOf(`exchange, symbol, "interval", CASE WHEN symbol = 'BBB' AND i IN (50, 51) THEN 101 - i ELSE i END`)).toEqual(sorted);
  });
});
