/**
 * silver_matches_bronze: the stream-equals-batch proof, run for real over the last
 * `lookbackHours`: every final 1m candle in silver equals a recomputation from bronze_trades in
 * DuckDB SQL, column for column (each trade id once, open/close by trade id, empty minutes carry the previous close,
 * aggTrades count their underlying trades, VWAP rounded half-up to 16 places as the stream does),
 * and every minute the recomputation has is in silver. Only symbols with trades in the range are
 * compared, and not the candles a backfill made from klines (`source` klines or rest): they have no
 * trades to be recomputed from.
 */
import { z } from 'zod';
import { DEFAULT_MAX_FILL_GAP_MS } from '../../common/events/index.ts';
import { defineCheck } from './check.ts';
import { candleStructSql, differingColumnsSql } from './candle-columns.ts';
import { latestCandlesSql } from './latest-candles.ts';
import { HOUR_US, MINUTE_US, lookbackWindow, queryFailingRows, sqlString, timeRangeSql, timestampFromUsSql, vwapSql } from './sql.ts';

/** ` AND symbol IN (...)` (a constant filter on the partition column: only those files are read), or nothing. */
function symbolsSql(symbols: readonly string[] | undefined, column = 'symbol'): string {
  return symbols ? ` AND ${column} IN (${symbols.map(sqlString).join(', ')})` : '';
}

/** SQL of the 1m candles recomputed from bronze over [fromUs, each symbol's final frontier before `upper`), one row per minute. */
export function recomputedMinutesSql(fromUs: number, upper: number, seedHours: number, symbols?: readonly string[], maxFillGapMinutes = DEFAULT_MAX_FILL_GAP_MS / 60_000): string {
  // The stream's rule (streaming/candles/candle-operator.ts): an empty minute is filled only when it
  // starts at most the fill gap after the last traded minute; a longer gap is missing. Only those
  // minutes are generated, so a range holding a gap of years costs nothing.
  const gapUs = maxFillGapMinutes * MINUTE_US;
  return `frontier AS (
      SELECT exchange, symbol, max(epoch_us(window_end)) AS until_us FROM silver_candles_all_revisions
      WHERE "interval" = '1m' AND is_final AND ${timeRangeSql('window_start', fromUs, upper)}${symbolsSql(symbols)} GROUP BY ALL
    ), trades AS (
      SELECT t.exchange, t.symbol, t.kind, t.trade_id, t.first_trade_id, t.last_trade_id, t.price, t.qty, t.quote_qty, t.is_buyer_maker,
        (epoch_us(t.trade_time) // ${MINUTE_US}) * ${MINUTE_US} AS ws
      FROM bronze_trades t JOIN frontier f USING (exchange, symbol)
      WHERE ${timeRangeSql('t.trade_time', fromUs, upper, 't.date')} AND epoch_us(t.trade_time) < f.until_us
      -- A trade id counts once, as in the stream (a copy in bronze is trade_uniqueness's finding, not this check's).
      QUALIFY row_number() OVER (PARTITION BY t.exchange, t.symbol, t.kind, t.trade_id ORDER BY t.received_at) = 1
    ), minutes AS (
      SELECT exchange, symbol, ws,
        arg_min(price, trade_id) AS open, max(price) AS high, min(price) AS low, arg_max(price, trade_id) AS close,
        sum(qty) AS volume, sum(quote_qty) AS quote_volume,
        sum(CASE WHEN kind = 'aggTrade' THEN last_trade_id - first_trade_id + 1 ELSE 1 END) AS trade_count,
        coalesce(sum(qty) FILTER (WHERE NOT is_buyer_maker), 0) AS taker_buy_volume,
        coalesce(sum(quote_qty) FILTER (WHERE NOT is_buyer_maker), 0) AS taker_buy_quote_volume,
        min(coalesce(first_trade_id, trade_id)) AS first_trade_id, max(coalesce(last_trade_id, trade_id)) AS last_trade_id
      FROM trades GROUP BY ALL
    ), seed AS (
      -- The close carried into the range: the last trade before it (within the seed look-back).
      SELECT t.exchange, t.symbol, arg_max(t.price, t.trade_id) AS close, max((epoch_us(t.trade_time) // ${MINUTE_US}) * ${MINUTE_US}) AS minute_us
      FROM bronze_trades t JOIN frontier f USING (exchange, symbol)
      WHERE ${timeRangeSql('t.trade_time', fromUs - seedHours * HOUR_US, fromUs, 't.date')} GROUP BY ALL
    ), spans AS (
      -- Without a seed the recomputation can only start at the symbol's first trade in the range.
      SELECT m.exchange, m.symbol, CASE WHEN seed.close IS NULL THEN min(m.ws) ELSE ${fromUs}::BIGINT END AS start_us, any_value(f.until_us) AS until_us, any_value(seed.close) AS seed_close,
        any_value(seed.minute_us) AS seed_minute_us, min(m.ws) AS first_ws
      FROM minutes m JOIN frontier f USING (exchange, symbol) LEFT JOIN seed USING (exchange, symbol) GROUP BY m.exchange, m.symbol, seed.close
    ), anchors AS (
      SELECT exchange, symbol, ws, lead(ws) OVER (PARTITION BY exchange, symbol ORDER BY ws) AS next_ws FROM minutes
    ), grid AS (
      -- Each traded minute and the empty minutes after it within the fill gap (up to the next traded one).
      SELECT a.exchange, a.symbol, s.seed_close, unnest(range(a.ws, least(coalesce(a.next_ws, s.until_us), a.ws + ${gapUs + MINUTE_US}, s.until_us), ${MINUTE_US}::BIGINT)) AS ws
      FROM anchors a JOIN spans s USING (exchange, symbol)
      UNION ALL
      -- From the range's start, the seed's close within the fill gap of its minute, up to the first traded minute.
      SELECT exchange, symbol, seed_close, unnest(range(start_us, least(first_ws, seed_minute_us + ${gapUs + MINUTE_US}, until_us), ${MINUTE_US}::BIGINT)) AS ws
      FROM spans WHERE seed_close IS NOT NULL
    ), filled AS (
      SELECT g.exchange, g.symbol, g.ws, m.* EXCLUDE (exchange, symbol, ws),
        coalesce(last_value(m.close IGNORE NULLS) OVER (PARTITION BY g.exchange, g.symbol ORDER BY g.ws ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), g.seed_close) AS carried
      FROM grid g LEFT JOIN minutes m USING (exchange, symbol, ws)
    ), recomputed AS (
      SELECT exchange, symbol, ${timestampFromUsSql('ws')} AS window_start, ${timestampFromUsSql(`ws + ${MINUTE_US}`)} AS window_end,
        coalesce(open, carried) AS open, coalesce(high, carried) AS high, coalesce(low, carried) AS low, coalesce(close, carried) AS close,
        coalesce(volume, 0)::DECIMAL(38,8) AS volume, coalesce(quote_volume, 0)::DECIMAL(38,16) AS quote_volume,
        ${vwapSql('coalesce(quote_volume, 0)::DECIMAL(38,16)', 'coalesce(volume, 0)::DECIMAL(38,8)')} AS vwap,
        coalesce(trade_count, 0) AS trade_count,
        coalesce(taker_buy_volume, 0)::DECIMAL(38,8) AS taker_buy_volume, coalesce(taker_buy_quote_volume, 0)::DECIMAL(38,16) AS taker_buy_quote_volume,
        first_trade_id, last_trade_id, ws AS ws_us
      FROM filled
    )`;
}

export const silverMatchesBronze = defineCheck({
  name: 'silver_matches_bronze',
  table: 'silver/candles',
  description: 'Every final 1m candle of the last lookbackHours equals its recomputation from bronze_trades (and none is missing).',
  severity: 'error',
  blocking: true,
  thresholds: z
    .object({
      lookbackHours: z.number().positive().default(6),
      /** How far before the range to look for the close that empty minutes at its start carry. */
      seedLookbackHours: z.number().positive().default(24),
      /**
       * The stream's fill gap (STREAM_MAX_FILL_GAP_MS, which sets this default when given): an
       * empty minute is expected only this long after the last traded one. A check with another
       * value than the stream's would call its quiet minutes missing, or its gaps filled.
       */
      maxFillGapMinutes: z.number().positive().default(DEFAULT_MAX_FILL_GAP_MS / 60_000),
    })
    .strict(),
  async run(ctx, t) {
    const w = lookbackWindow(ctx, t);
    // A scope without a start (everything up to a date) starts at the epoch.
    const fromUs = Math.floor((w.fromUs ?? 0) / MINUTE_US) * MINUTE_US;
    const upper = w.toUs;
    // Only symbols that traded in the range can be recomputed; without any, there is nothing to compare.
    const traded = (await ctx.engine.query(`SELECT DISTINCT symbol FROM bronze_trades WHERE ${timeRangeSql('trade_time', fromUs, upper)}`)).rows.map((r) => String(r.symbol));
    if (traded.length === 0) return { observed: 0, threshold: 0, failingRows: 0, samples: [] };
    const sql = `WITH ${recomputedMinutesSql(fromUs, upper, t.seedLookbackHours, traded, t.maxFillGapMinutes)},
      silver AS (
        SELECT s.* FROM ${latestCandlesSql(ctx, { fromUs, toUs: upper }, `"interval" = '1m'${symbolsSql(traded)}`)} s JOIN spans p USING (exchange, symbol)
        WHERE epoch_us(s.window_start) >= p.start_us AND epoch_us(s.window_start) < p.until_us AND s.is_final
      )
      SELECT * FROM (
        SELECT coalesce(s.exchange, r.exchange) AS exchange, coalesce(s.symbol, r.symbol) AS symbol, coalesce(s.window_start, r.window_start) AS window_start,
          CASE WHEN s.window_start IS NULL THEN ['missing in silver'] WHEN r.window_start IS NULL THEN ['not in the recomputation'] ELSE ${differingColumnsSql('s', 'r')} END AS differences,
          ${candleStructSql('s')} AS silver, ${candleStructSql('r')} AS recomputed
        FROM silver s FULL OUTER JOIN recomputed r ON s.exchange = r.exchange AND s.symbol = r.symbol AND s.window_start = r.window_start
        -- Candles a backfill made from klines (archive or REST) have no trades in bronze to be recomputed from.
        WHERE s.source IS NULL OR s.source NOT IN ('klines', 'rest')
      ) WHERE len(differences) > 0`;
    const { failingRows, samples } = await queryFailingRows(ctx, sql, 'exchange, symbol, window_start');
    return { observed: failingRows, threshold: 0, failingRows, samples };
  },
});
