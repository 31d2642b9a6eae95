/**
 * rollup_matches_1m: every final 5m, 15m and 1h candle equals the rollup of its 1m candles, where
 * only the non-empty minutes (trade_count > 0) set open, high, low and close (an empty minute's
 * carried-forward price is no trade and must not widen the range; ARCHITECTURE.md, "Numbers"), volumes and counts
 * are sums, ids the min and max, VWAP the sums' quotient; a window without any trade carries the
 * previous close (its first minute's open) with volume 0. Windows whose 1m candles are not all
 * present and final are left to the completeness check, and so is a rollup that is not there (this
 * check compares the rollups silver has: one missing is a gap, not a wrong number).
 */
import { z } from 'zod';
import { defineCheck } from './check.ts';
import { candleStructSql, differingColumnsSql } from './candle-columns.ts';
import { latestCandlesSql } from './latest-candles.ts';
import { HOUR_US, MINUTE_US, queryFailingRows, timeRangeSql, timestampFromUsSql, vwapMatchesSql, vwapSql } from './sql.ts';

const ROLLUPS: readonly (readonly [string, number])[] = [
  ['5m', 5 * MINUTE_US],
  ['15m', 15 * MINUTE_US],
  ['1h', HOUR_US],
];

export const rollupMatches1m = defineCheck({
  name: 'rollup_matches_1m',
  table: 'silver/candles',
  description: 'Every final 5m/15m/1h candle equals the rollup of its non-empty 1m candles.',
  severity: 'error',
  blocking: true,
  thresholds: z.object({ lookbackHours: z.number().positive().nullable().default(24) }).strict(),
  async run(ctx, t) {
    const fromUs = t.lookbackHours === null ? undefined : Math.floor((ctx.nowUs - t.lookbackHours * HOUR_US) / HOUR_US) * HOUR_US;
    const upper = ctx.nowUs + HOUR_US;
    const sizes = ROLLUPS.map(([i, us]) => `('${i}', ${us}::BIGINT)`).join(', ');
    const sql = `WITH one AS (
        SELECT exchange, symbol, epoch_us(window_start) AS ws, is_final, open, high, low, close, volume, quote_volume, trade_count,
          taker_buy_volume, taker_buy_quote_volume, first_trade_id, last_trade_id
        FROM ${latestCandlesSql(ctx, `"interval" = '1m' AND ${timeRangeSql('window_start', fromUs, upper)}`)}
      ), sizes("interval", size_us) AS (VALUES ${sizes}),
      agg AS (
        SELECT exchange, symbol, "interval", (ws // size_us) * size_us AS bucket, any_value(size_us) AS size_us,
          count(*) FILTER (WHERE is_final) AS final_minutes,
          arg_min(open, ws) AS first_open,
          arg_min(open, ws) FILTER (WHERE trade_count > 0) AS open, max(high) FILTER (WHERE trade_count > 0) AS high,
          min(low) FILTER (WHERE trade_count > 0) AS low, arg_max(close, ws) FILTER (WHERE trade_count > 0) AS close,
          sum(volume) AS volume, sum(quote_volume) AS quote_volume, sum(trade_count) AS trade_count,
          sum(taker_buy_volume) AS taker_buy_volume, sum(taker_buy_quote_volume) AS taker_buy_quote_volume,
          min(first_trade_id) AS first_trade_id, max(last_trade_id) AS last_trade_id
        FROM one CROSS JOIN sizes GROUP BY ALL
      ), expected AS (
        SELECT exchange, symbol, "interval", ${timestampFromUsSql('bucket')} AS window_start, ${timestampFromUsSql('bucket + size_us')} AS window_end,
          coalesce(open, first_open) AS open, coalesce(high, first_open) AS high, coalesce(low, first_open) AS low, coalesce(close, first_open) AS close,
          volume::DECIMAL(38,8) AS volume, quote_volume::DECIMAL(38,16) AS quote_volume, NULL::DECIMAL(38,16) AS vwap,
          trade_count, taker_buy_volume::DECIMAL(38,8) AS taker_buy_volume, taker_buy_quote_volume::DECIMAL(38,16) AS taker_buy_quote_volume,
          first_trade_id, last_trade_id
        FROM agg WHERE final_minutes = size_us // ${MINUTE_US}
      ), rollups AS (
        SELECT * FROM ${latestCandlesSql(ctx, `"interval" IN (${ROLLUPS.map(([i]) => `'${i}'`).join(', ')}) AND ${timeRangeSql('window_start', fromUs, upper)}`)} WHERE is_final
      ), compared AS (
        -- VWAP is tested exactly without computing it; the expected value is computed for the failing rows only.
        SELECT e.*, ${differingColumnsSql('s', 'e', { vwap: `NOT (${vwapMatchesSql('s.vwap', 'e.quote_volume', 'e.volume')})` })} AS differences, ${candleStructSql('s')} AS silver
        FROM expected e JOIN rollups s ON s.exchange = e.exchange AND s.symbol = e.symbol AND s."interval" = e."interval" AND s.window_start = e.window_start
      )
      SELECT exchange, symbol, "interval", window_start, differences, silver, ${candleStructSql('e')} AS rollup_of_1m
      FROM (SELECT * REPLACE (${vwapSql('quote_volume', 'volume')} AS vwap) FROM compared WHERE len(differences) > 0) e`;
    const { failingRows, samples } = await queryFailingRows(ctx, sql, 'exchange, symbol, "interval", window_start');
    return { observed: failingRows, threshold: 0, failingRows, samples };
  },
});
