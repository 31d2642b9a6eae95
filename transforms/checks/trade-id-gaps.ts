/**
 * trade_id_gaps: no unrepaired hole in a symbol's exchange trade ids over the look-back. Binance
 * trade ids are contiguous per symbol, so bronze ids 100, 104 mean trades 101..103 never reached
 * the lake (a repair would have added them: a repaired gap is no longer there). aggTrades cover
 * the underlying ids first_trade_id..last_trade_id, so both kinds are checked on one line of ids.
 */
import { z } from 'zod';
import { defineCheck } from './check.ts';
import { HOUR_US, lookbackStart, queryJudgedRows, timeRangeSql } from './sql.ts';

export const tradeIdGaps = defineCheck({
  name: 'trade_id_gaps',
  table: 'bronze/trades',
  description: 'No missing exchange trade id between the first and last trade of each symbol in the look-back (missing trades ≤ toleranceTrades).',
  severity: 'error',
  blocking: false,
  thresholds: z
    .object({
      lookbackHours: z.number().positive().nullable().default(24),
      toleranceTrades: z.number().int().min(0).default(0),
    })
    .strict(),
  async run(ctx, t) {
    const gaps = `SELECT exchange, symbol, reach + 1 AS first_missing_trade_id, next_lo - 1 AS last_missing_trade_id, next_lo - reach - 1 AS missing_trades,
        trade_time AS after_trade_time, next_time AS before_trade_time
      FROM (
        SELECT exchange, symbol, trade_time,
          max(hi) OVER (PARTITION BY exchange, symbol ORDER BY lo, hi ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS reach,
          lead(lo) OVER (PARTITION BY exchange, symbol ORDER BY lo, hi) AS next_lo,
          lead(trade_time) OVER (PARTITION BY exchange, symbol ORDER BY lo, hi) AS next_time
        FROM (SELECT exchange, symbol, trade_time, coalesce(first_trade_id, trade_id) AS lo, coalesce(last_trade_id, trade_id) AS hi
              FROM bronze_trades WHERE ${timeRangeSql('trade_time', lookbackStart(ctx, t.lookbackHours), ctx.nowUs + HOUR_US)})
      ) WHERE next_lo > reach + 1`;
    const { failingRows, samples, observed } = await queryJudgedRows(ctx, { rowsSql: gaps, failing: 'true', observed: 'sum(missing_trades)', orderBy: 'exchange, symbol, first_missing_trade_id' });
    const missing = observed ?? 0;
    return { observed: missing, threshold: t.toleranceTrades, failingRows, samples, passed: missing <= t.toleranceTrades };
  },
});
