/**
 * candle_uniqueness: each candle (exchange, symbol, interval, window_start) has exactly one row at
 * its highest revision; two rows sharing it would make silver_candles pick one arbitrarily.
 */
import { z } from 'zod';
import { defineCheck } from './check.ts';
import { HOUR_US, lookbackStart, queryFailingRows, timeRangeSql } from './sql.ts';

export const candleUniqueness = defineCheck({
  name: 'candle_uniqueness',
  table: 'silver/candles',
  description: 'One row per candle key at its latest revision (silver_candles_all_revisions).',
  severity: 'error',
  blocking: true,
  thresholds: z.object({ lookbackHours: z.number().positive().nullable().default(48) }).strict(),
  async run(ctx, t) {
    const range = timeRangeSql('window_start', lookbackStart(ctx, t.lookbackHours), ctx.nowUs + HOUR_US);
    const { failingRows, samples } = await queryFailingRows(
      ctx,
      // Rows sharing a key and revision (rare) first, with one aggregation; then only those at their key's top revision.
      `WITH copies AS (
         SELECT exchange, symbol, "interval", window_start, revision, count(*) AS copies
         FROM silver_candles_all_revisions WHERE ${range}
         GROUP BY ALL HAVING count(*) > 1
       )
       SELECT d.exchange, d.symbol, d."interval", d.window_start, d.revision, any_value(d.copies) AS copies,
         list(DISTINCT a.close::VARCHAR) AS closes, list(DISTINCT a.volume::VARCHAR) AS volumes
       FROM copies d JOIN silver_candles_all_revisions a USING (exchange, symbol, "interval", window_start, revision)
       WHERE ${range.replace(/window_start/g, 'a.window_start').replace(/\bdate\b/g, 'a.date')}
         AND NOT EXISTS (
           SELECT 1 FROM silver_candles_all_revisions h
           WHERE h.revision > 0 AND h.exchange = d.exchange AND h.symbol = d.symbol AND h."interval" = d."interval" AND h.window_start = d.window_start AND h.revision > d.revision
         )
       GROUP BY ALL`,
      'exchange, symbol, "interval", window_start',
    );
    return { observed: failingRows, threshold: 0, failingRows, samples };
  },
});
