/**
 * How complete silver's 1m candles are, per exchange × symbol × UTC day: the one definition that
 * gold/coverage records and the backfill's `missing` mode plans from, so that the day the ledger
 * flags is the day the backfill repairs.
 *
 * - `minutes_expected`: 1,440 for a past day, the minutes elapsed so far today, 0 for a future day.
 * - `candles_present`: minutes with a 1m candle (its latest revision).
 * - `quiet_minutes`: candles without trades (the market was quiet: complete, nothing to repair).
 * - `missing_minutes`: expected minutes without a candle (our gap).
 * A day is incomplete when `missing_minutes > 0`; a day silver has no candle of is missing all
 * its expected minutes (`minutesExpectedSql`).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryJson } from '../lake/index.ts';

/** Minutes a UTC day (`dateSql`, a DATE expression) can have candles for at `nowUs` (epoch µs). */
export function minutesExpectedSql(dateSql: string, nowUs: number): string {
  const now = Math.round(nowUs);
  const today = `CAST(make_timestamptz(${now}::BIGINT) AS DATE)`;
  return `(CASE WHEN ${dateSql} < ${today} THEN 1440 WHEN ${dateSql} = ${today} THEN (${now}::BIGINT - epoch_us(CAST(${dateSql} AS TIMESTAMPTZ))) // 60000000 ELSE 0 END)`;
}

/**
 * The per-day 1m coverage of the silver rows matching `where` (a filter on silver's columns, e.g.
 * a symbol and date range that prunes files), from every revision in one pass: columns exchange,
 * symbol, date, minutes_expected, candles_present, quiet_minutes, missing_minutes,
 * late_revisions (revisions of candles that were already final), last_updated. `allRevisions`:
 * the relation of silver's rows, every revision (default its view).
 */
export function silverMinuteCoverageSql(where: string, nowUs: number, allRevisions = 'silver_candles_all_revisions'): string {
  const expected = minutesExpectedSql('"date"', nowUs);
  return `SELECT exchange, symbol, "date", ${expected} AS minutes_expected, present AS candles_present, quiet AS quiet_minutes,
    greatest(${expected} - present, 0) AS missing_minutes, late_revisions, last_updated
  FROM (
    SELECT exchange, symbol, "date", count(*) AS present, count(*) FILTER (WHERE trade_count = 0) AS quiet,
      sum(greatest(finals - 1, 0))::BIGINT AS late_revisions, max(finalized_at) AS last_updated
    FROM (
      -- One row a minute: the latest revision's trade count, how many of its revisions were final.
      SELECT exchange, symbol, "date", window_start, arg_max(trade_count, revision) AS trade_count,
        count(*) FILTER (WHERE is_final) AS finals, max(finalized_at) AS finalized_at
      FROM ${allRevisions} WHERE (${where}) AND "interval" = '1m' GROUP BY ALL
    ) GROUP BY ALL
  )`;
}

/**
 * Creates table `into` with silverMinuteCoverageSql's rows, computed without grouping every
 * revision by minute where that changes nothing: a day whose 1m candles all start on a minute of
 * the day and have no minute with both a revision with trades and one without (a late trade into
 * a quiet minute) is counted in one pass, a bitmap of its 1,440 minutes a property. There
 *   candles_present = the minutes set (each candle is one minute);
 *   quiet_minutes = the minutes set by a revision without trades (so are its minute's others,
 *     whichever is the latest);
 *   late_revisions = final revisions - the minutes with a final revision (the sum of each
 *     minute's finals - 1 where it has any);
 *   last_updated = the latest finalized_at of its rows.
 * The other days (none in a backfilled history) are grouped by minute as the definition does.
 * For the 527k candles of a year, on one thread: ~0.2 s CPU instead of ~0.3 s (a plain scan of
 * the same columns: ~0.18 s).
 */
export async function createSilverMinuteCoverage(conn: DuckDBConnection, into: string, where: string, nowUs: number, allRevisions = 'silver_candles_all_revisions'): Promise<void> {
  const days = `${into}_days`;
  const offset = `(epoch_us(window_start) - epoch_us(CAST("date" AS TIMESTAMP)))`;
  // NULL for a candle that does not start on a minute of its day (the day is then grouped by minute).
  const minute = `CASE WHEN ${offset} >= 0 AND ${offset} < 86400000000 AND ${offset} % 60000000 = 0 THEN CAST(${offset} // 60000000 AS INTEGER) END`;
  const minutes = (filter: string) => `bitstring_agg(minute, 0, 1439)${filter ? ` FILTER (WHERE ${filter})` : ''}`;
  const setIn = (bitmap: string) => `coalesce(bit_count(${bitmap}), 0)`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${days} AS
    SELECT *, off_minute = 0 AND ${setIn('quiet & traded')} = 0 AS counted FROM (
      SELECT exchange, symbol, "date", ${minutes('')} AS minutes, ${minutes('trade_count = 0')} AS quiet, ${minutes('trade_count <> 0')} AS traded,
        ${minutes('is_final')} AS final_minutes, count(*) FILTER (WHERE is_final) AS finals, count(*) FILTER (WHERE minute IS NULL) AS off_minute, max(finalized_at) AS last_updated
      FROM (SELECT exchange, symbol, "date", ${minute} AS minute, trade_count, is_final, finalized_at FROM ${allRevisions} WHERE (${where}) AND "interval" = '1m')
      GROUP BY ALL)`);
  try {
    const expected = minutesExpectedSql('"date"', nowUs);
    const counted = `SELECT exchange, symbol, "date", ${expected} AS minutes_expected, ${setIn('minutes')} AS candles_present, ${setIn('quiet')} AS quiet_minutes,
        greatest(${expected} - ${setIn('minutes')}, 0) AS missing_minutes, finals - ${setIn('final_minutes')} AS late_revisions, last_updated
      FROM ${days} WHERE counted`;
    const [{ grouped }] = await queryJson(conn, `SELECT count(*) FILTER (WHERE NOT counted) AS grouped FROM ${days}`);
    const byMinute = Number(grouped) === 0 ? '' : `UNION ALL ${silverMinuteCoverageSql(`(${where}) AND (exchange, symbol, "date") IN (SELECT exchange, symbol, "date" FROM ${days} WHERE NOT counted)`, nowUs, allRevisions)}`;
    await conn.run(`CREATE OR REPLACE TABLE ${into} AS ${counted} ${byMinute}`);
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${days}`);
  }
}
