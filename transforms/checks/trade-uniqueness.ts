/** trade_uniqueness: one bronze row per (exchange, symbol, kind, trade id) over the look-back (a trade twice in bronze is counted twice by everything downstream). */
import { z } from 'zod';
import { defineCheck } from './check.ts';
import { lookbackWindow, queryFailingRows, timeRangeSql } from './sql.ts';

export const tradeUniqueness = defineCheck({
  name: 'trade_uniqueness',
  table: 'bronze/trades',
  description: 'No (exchange, symbol, kind, trade_id) appears twice in bronze_trades (trades of the look-back).',
  severity: 'error',
  blocking: true,
  thresholds: z
    .object({
      /** Hours before now to check (null: the whole table). */
      lookbackHours: z.number().positive().nullable().default(48),
    })
    .strict(),
  async run(ctx, t) {
    const w = lookbackWindow(ctx, t);
    const { failingRows, samples } = await queryFailingRows(
      ctx,
      `SELECT exchange, symbol, kind, trade_id, count(*) AS copies, list(DISTINCT source ORDER BY source) AS sources,
         min(trade_time) AS trade_time, list(DISTINCT received_at ORDER BY received_at) AS received_at
       FROM bronze_trades WHERE ${timeRangeSql('trade_time', w.fromUs, w.toUs)}
       GROUP BY exchange, symbol, kind, trade_id HAVING count(*) > 1`,
      'exchange, symbol, kind, trade_id',
    );
    return { observed: failingRows, threshold: 0, failingRows, samples };
  },
});
