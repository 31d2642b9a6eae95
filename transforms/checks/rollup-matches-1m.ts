/**
 * rollup_matches_1m: every final 5m, 15m and 1h candle equals the rollup of its 1m candles, where
 * only the non-empty minutes (trade_count > 0) set open, high, low and close (an empty minute's
 * carried-forward price is no trade and must not widen the range; ARCHITECTURE.md, "Numbers"), volumes and counts
 * are sums, ids the min and max, VWAP the sums' quotient; a window without any trade carries the
 * previous close (its first minute's open) with volume 0. And it is there: a window whose 1m
 * candles are all present and final, and which has ended, has its final rollup in silver (the
 * stream finalises every interval of a window in the same step, a backfill writes them together),
 * else the failing row says `missing rollup` (or `rollup not final`). Windows whose 1m candles are
 * not all present and final are left to the completeness check (missing_minutes).
 *
 * One pass over the 1m candles: they are aggregated into 5m partials, and the 15m and 1h rollups
 * are aggregated from those partials (every aggregate here composes: sums, min/max, and the
 * open/close of the first/last traded minute, which lie in the first/last 5m that traded).
 */
import { z } from 'zod';
import { defineCheck, type CandleWindow, type CheckContext } from './check.ts';
import { candleStructSql, differingColumnsSql } from './candle-columns.ts';
import { latestCandlesSql } from './latest-candles.ts';
import { HOUR_US, MINUTE_US, lookbackWindow, queryFailingRows, timestampFromUsSql, timestampSql, vwapMatchesSql, vwapSql } from './sql.ts';

const FIVE_US = 5 * MINUTE_US;

/** The rollups built from the 5m partials (the 5m rollup is the partials themselves). */
const FROM_FIVE: readonly (readonly [string, number])[] = [
  ['15m', 15 * MINUTE_US],
  ['1h', HOUR_US],
];

/** The look-back (or the run's scope) from a whole hour, so that every window judged starts inside it. */
function window(ctx: Pick<CheckContext, 'nowUs' | 'scope'>, t: { lookbackHours: number | null }): CandleWindow {
  const w = lookbackWindow(ctx, t);
  return { fromUs: w.fromUs === undefined ? undefined : Math.floor(w.fromUs / HOUR_US) * HOUR_US, toUs: w.toUs };
}

const SUMS = ['volume', 'quote_volume', 'trade_count', 'taker_buy_volume', 'taker_buy_quote_volume'];

export const rollupMatches1m = defineCheck({
  name: 'rollup_matches_1m',
  table: 'silver/candles',
  description: 'Every final 5m/15m/1h candle equals the rollup of its non-empty 1m candles, and none is missing where its 1m candles are all final.',
  severity: 'error',
  blocking: true,
  thresholds: z.object({ lookbackHours: z.number().positive().nullable().default(24) }).strict(),
  candleWindow: window,
  async run(ctx, t) {
    const w = window(ctx, t);
    const sizes = FROM_FIVE.map(([i, us]) => `('${i}', ${us}::BIGINT)`).join(', ');
    const sql = `WITH one AS (
        SELECT exchange, symbol, epoch_us(window_start) AS ws, is_final, open, high, low, close, volume, quote_volume, trade_count,
          taker_buy_volume, taker_buy_quote_volume, first_trade_id, last_trade_id
        FROM ${latestCandlesSql(ctx, w, `"interval" = '1m'`)}
      ), five AS MATERIALIZED (
        SELECT exchange, symbol, (ws // ${FIVE_US}) * ${FIVE_US} AS bucket,
          count(*) FILTER (WHERE is_final) AS final_minutes,
          arg_min(open, ws) AS first_open,
          arg_min(open, ws) FILTER (WHERE trade_count > 0) AS open, max(high) FILTER (WHERE trade_count > 0) AS high,
          min(low) FILTER (WHERE trade_count > 0) AS low, arg_max(close, ws) FILTER (WHERE trade_count > 0) AS close,
          ${SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')},
          min(first_trade_id) AS first_trade_id, max(last_trade_id) AS last_trade_id
        FROM one GROUP BY ALL
      ), sizes("interval", size_us) AS (VALUES ${sizes}),
      agg AS (
        SELECT exchange, symbol, '5m' AS "interval", bucket, ${FIVE_US}::BIGINT AS size_us, final_minutes, first_open, open, high, low, close,
          ${SUMS.join(', ')}, first_trade_id, last_trade_id
        FROM five
        UNION ALL
        SELECT exchange, symbol, "interval", (bucket // size_us) * size_us AS bucket, size_us, sum(final_minutes) AS final_minutes,
          arg_min(first_open, bucket) AS first_open,
          -- The first traded minute is in the first 5m with a trade (open not null), the last in the last.
          arg_min(open, bucket) FILTER (WHERE open IS NOT NULL) AS open, max(high) AS high, min(low) AS low,
          arg_max(close, bucket) FILTER (WHERE close IS NOT NULL) AS close,
          ${SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')},
          min(first_trade_id) AS first_trade_id, max(last_trade_id) AS last_trade_id
        FROM five CROSS JOIN sizes GROUP BY ALL
      ), expected AS (
        SELECT exchange, symbol, "interval", ${timestampFromUsSql('bucket')} AS window_start, ${timestampFromUsSql('bucket + size_us')} AS window_end,
          coalesce(open, first_open) AS open, coalesce(high, first_open) AS high, coalesce(low, first_open) AS low, coalesce(close, first_open) AS close,
          volume::DECIMAL(38,8) AS volume, quote_volume::DECIMAL(38,16) AS quote_volume, NULL::DECIMAL(38,16) AS vwap,
          trade_count, taker_buy_volume::DECIMAL(38,8) AS taker_buy_volume, taker_buy_quote_volume::DECIMAL(38,16) AS taker_buy_quote_volume,
          first_trade_id, last_trade_id
        FROM agg WHERE final_minutes = size_us // ${MINUTE_US}
      ), rollups AS (
        SELECT * FROM ${latestCandlesSql(ctx, w, `"interval" IN ('5m', ${FROM_FIVE.map(([i]) => `'${i}'`).join(', ')})`)}
      ), compared AS (
        -- VWAP is tested exactly without computing it; the expected value is computed for the failing rows only.
        SELECT e.*,
          CASE WHEN s.window_start IS NULL THEN ['missing rollup'] WHEN NOT s.is_final THEN ['rollup not final']
            ELSE ${differingColumnsSql('s', 'e', { vwap: `NOT (${vwapMatchesSql('s.vwap', 'e.quote_volume', 'e.volume')})` })} END AS differences,
          ${candleStructSql('s')} AS silver
        FROM expected e LEFT JOIN rollups s ON s.exchange = e.exchange AND s.symbol = e.symbol AND s."interval" = e."interval" AND s.window_start = e.window_start
        -- A final rollup is compared; one absent or not final is a defect only once its window has ended.
        WHERE s.is_final OR e.window_end <= ${timestampSql(ctx.nowUs)}
      )
      SELECT exchange, symbol, "interval", window_start, differences, silver, ${candleStructSql('e')} AS rollup_of_1m
      FROM (SELECT * REPLACE (${vwapSql('quote_volume', 'volume')} AS vwap) FROM compared WHERE len(differences) > 0) e`;
    const { failingRows, samples } = await queryFailingRows(ctx, sql, 'exchange, symbol, "interval", window_start');
    return { observed: failingRows, threshold: 0, failingRows, samples };
  },
});
