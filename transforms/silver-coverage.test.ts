/**
 * createSilverMinuteCoverage gives silverMinuteCoverageSql's rows (the definition, which groups
 * every revision by minute) also where minutes have several revisions: days it counts in one
 * pass (late revisions, quiet minutes revised while quiet) and days it must group by minute (a
 * late trade into a quiet minute, a candle off the minute grid), mixed in one run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { queryJson } from '../lake/index.ts';
import { createSilverMinuteCoverage, silverMinuteCoverageSql } from './silver-coverage.ts';

let db: DuckDBInstance;
let conn: DuckDBConnection;
const NOW_US = Date.parse('2024-03-03T12:00:00Z') * 1000;
const COLUMNS = `exchange, symbol, "interval", window_start, "date", trade_count, revision, is_final, finalized_at`;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  await conn.run(`CREATE TABLE revisions (exchange VARCHAR, symbol VARCHAR, "interval" VARCHAR, window_start TIMESTAMPTZ, "date" DATE, trade_count BIGINT, revision BIGINT, is_final BOOLEAN, finalized_at TIMESTAMPTZ)`);
});
afterAll(() => {
  conn.closeSync();
  db.closeSync();
});

/** Rows of `revisions` from (window_start ISO, trade_count, revision, is_final) of binance BTCUSDT 1m. */
async function insert(rows: readonly [string, number, number, boolean][]): Promise<void> {
  const values = rows.map(([ws, n, rev, fin]) => `(TIMESTAMPTZ '${ws}', ${n}, ${rev}, ${fin})`).join(', ');
  await conn.run(`INSERT INTO revisions SELECT 'binance', 'BTCUSDT', '1m', ws, CAST(make_timestamp(epoch_us(ws)) AS DATE), n, rev, fin,
      CASE WHEN fin THEN ws + INTERVAL 1 MINUTE + rev * INTERVAL 1 SECOND END FROM (VALUES ${values}) v(ws, n, rev, fin)`);
}

async function both(where = 'TRUE'): Promise<{ definition: Record<string, unknown>[]; computed: Record<string, unknown>[] }> {
  const order = `ORDER BY exchange, symbol, "date"`;
  const definition = await queryJson(conn, `SELECT * FROM (${silverMinuteCoverageSql(where, NOW_US, 'revisions')}) ${order}`);
  await createSilverMinuteCoverage(conn, 'computed', where, NOW_US, 'revisions');
  const computed = await queryJson(conn, `SELECT * FROM computed ${order}`);
  return { definition, computed };
}

describe('createSilverMinuteCoverage', () => {
  it('counts days whose minutes have several revisions as the definition does, and groups by minute the days it must', async () => {
    await conn.run(`DELETE FROM revisions`);
    await insert([
      // 2024-03-01 (counted in one pass): a candle revised twice after it was final (2 late
      // revisions), a quiet minute revised while quiet, a provisional revision before a final one.
      ['2024-03-01T00:00:00Z', 5, 0, true],
      ['2024-03-01T00:00:00Z', 7, 1, true],
      ['2024-03-01T00:00:00Z', 7, 2, true],
      ['2024-03-01T00:01:00Z', 0, 0, false],
      ['2024-03-01T00:01:00Z', 0, 1, true],
      ['2024-03-01T00:02:00Z', 2, 0, false],
      ['2024-03-01T00:02:00Z', 3, 1, true],
      // 2024-03-02 (grouped by minute): a late trade into a quiet minute (its latest revision has
      // trades: not quiet), and a quiet minute whose latest revision lost its trades (quiet).
      ['2024-03-02T10:00:00Z', 0, 0, true],
      ['2024-03-02T10:00:00Z', 3, 1, true],
      ['2024-03-02T10:01:00Z', 4, 0, true],
      ['2024-03-02T10:01:00Z', 0, 1, true],
      ['2024-03-02T10:02:00Z', 0, 0, true],
      // 2024-03-03 (today, grouped by minute): a candle off the minute grid besides one on it.
      ['2024-03-03T00:00:00Z', 1, 0, true],
      ['2024-03-03T00:00:30Z', 1, 0, true],
    ]);
    const { definition, computed } = await both();
    expect(computed).toEqual(definition);
    expect(computed.map((r) => [r.date, r.minutes_expected, r.candles_present, r.quiet_minutes, r.missing_minutes, r.late_revisions])).toEqual([
      ['2024-03-01', '1440', '3', '1', '1437', '2'],
      ['2024-03-02', '1440', '3', '2', '1437', '2'],
      ['2024-03-03', '720', '2', '0', '718', '0'],
    ]);
  });

  it('equals the definition on many minutes of several exchanges and symbols with random revisions', async () => {
    await conn.run(`DELETE FROM revisions`);
    // Per minute (of 3 days, 2 exchanges, 2 symbols): none to 4 revisions, some final, trades
    // that only grow (days counted in one pass) except on one exchange-symbol where a revision
    // may have none after one with some (grouped by minute), about one minute in 20 quiet.
    await conn.run(`CREATE OR REPLACE TABLE random_revisions AS
      SELECT exchange, symbol, '1m' AS "interval", ws AS window_start, CAST(make_timestamp(epoch_us(ws)) AS DATE) AS "date",
        CASE WHEN hash(m, 'quiet') % 20 = 0 THEN 0 WHEN exchange = 'other' AND symbol = 'ETHUSDT' AND hash(m, rev, 'z') % 3 = 0 THEN 0 ELSE 1 + rev * 2 + hash(m) % 5 END AS trade_count,
        rev AS revision, hash(m, rev, 'f') % 3 <> 0 AS is_final, CASE WHEN hash(m, rev, 'f') % 3 <> 0 THEN ws + INTERVAL 1 MINUTE + rev * INTERVAL 1 SECOND END AS finalized_at
      FROM (SELECT exchange, symbol, m, make_timestamptz(${Date.parse('2024-03-01T00:00:00Z') * 1000}::BIGINT + m * 60000000) AS ws, CAST(hash(exchange, symbol, m) % 5 AS BIGINT) AS revisions
        FROM (VALUES ('binance'), ('other')) e(exchange), (VALUES ('BTCUSDT'), ('ETHUSDT')) s(symbol), range(3 * 1440) r(m)), range(revisions) v(rev)`);
    await conn.run(`INSERT INTO revisions SELECT * FROM random_revisions`);
    const { definition, computed } = await both();
    expect(computed.length).toBe(12);
    expect(computed).toEqual(definition);
    // Both paths ran: days with late revisions and quiet minutes counted in one pass, and days with
    // minutes revised from trades to none.
    const [mixed] = await queryJson(conn, `SELECT count(DISTINCT (exchange, symbol, "date")) AS days FROM (
        SELECT exchange, symbol, "date", window_start FROM revisions GROUP BY ALL HAVING min(trade_count) = 0 AND max(trade_count) > 0)`);
    expect(Number(mixed.days)).toBe(3);
    expect(computed.filter((r) => !(r.exchange === 'other' && r.symbol === 'ETHUSDT')).every((r) => Number(r.late_revisions) > 0 && Number(r.quiet_minutes) > 0)).toBe(true);
  });

  it('a day of candles all off the minute grid, and no rows at all', async () => {
    await conn.run(`DELETE FROM revisions`);
    await insert([
      ['2024-03-01T00:00:30Z', 1, 0, true],
      ['2024-03-01T00:00:30Z', 0, 1, true],
      ['2024-03-01T00:01:30Z', 0, 0, false],
    ]);
    const { definition, computed } = await both();
    expect(computed).toEqual(definition);
    expect(computed.map((r) => [r.candles_present, r.quiet_minutes, r.late_revisions])).toEqual([['2', '2', '1']]);
    expect(await both('FALSE')).toEqual({ definition: [], computed: [] });
  });

  it('reads only the rows `where` selects', async () => {
    await conn.run(`DELETE FROM revisions`);
    await conn.run(`INSERT INTO revisions SELECT * FROM random_revisions`);
    const { definition, computed } = await both(`symbol = 'BTCUSDT' AND "date" = DATE '2024-03-02'`);
    expect(computed).toEqual(definition);
    expect(computed.map((r) => [r.exchange, r.date])).toEqual([
      ['binance', '2024-03-02'],
      ['other', '2024-03-02'],
    ]);
  });
});
