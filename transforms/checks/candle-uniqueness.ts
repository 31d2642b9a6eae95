/**
 * candle_uniqueness: each candle (exchange, symbol, interval, window_start) has exactly one row at
 * its highest revision; two rows sharing it would make silver_candles pick one arbitrarily.
 */
import { z } from 'zod';
import { defineCheck } from './check.ts';
import { latestCandlesSql } from './latest-candles.ts';
import { lookbackWindow, queryFailingRows } from './sql.ts';

export const candleUniqueness = defineCheck({
  name: 'candle_uniqueness',
  table: 'silver/candles',
  description: 'One row per candle key at its latest revision (silver_candles_all_revisions).',
  severity: 'error',
  blocking: true,
  thresholds: z.object({ lookbackHours: z.number().positive().nullable().default(48) }).strict(),
  candleWindow: lookbackWindow,
  async run(ctx, t) {
    // The latest candles keep every row at its key's top revision: two of them with one key are the
    // defect. Keys are counted first (one aggregation); the rows of the rare duplicates are read after.
    const latest = latestCandlesSql(ctx, lookbackWindow(ctx, t));
    const { failingRows, samples } = await queryFailingRows(
      ctx,
      `WITH copies AS (
         SELECT exchange, symbol, "interval", window_start, revision, count(*) AS copies FROM ${latest} GROUP BY ALL HAVING count(*) > 1
       )
       SELECT exchange, symbol, "interval", window_start, revision, any_value(d.copies) AS copies,
         list(DISTINCT l.close::VARCHAR) AS closes, list(DISTINCT l.volume::VARCHAR) AS volumes
       FROM copies d JOIN ${latest} l USING (exchange, symbol, "interval", window_start, revision)
       GROUP BY ALL`,
      'exchange, symbol, "interval", window_start',
    );
    return { observed: failingRows, threshold: 0, failingRows, samples };
  },
});
