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
