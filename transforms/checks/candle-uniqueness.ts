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
    const { failingRows, samples } = await queryFailingRows(
      ctx,
      `SELECT * EXCLUDE (latest) FROM (
         SELECT exchange, symbol, "interval", window_start, revision, count(*) AS copies,
           list(DISTINCT close::VARCHAR) AS closes, list(DISTINCT volume::VARCHAR) AS volumes,
           max(revision) OVER (PARTITION BY exchange, symbol, "interval", window_start) AS latest
         FROM silver_candles_all_revisions
         WHERE ${timeRangeSql('window_start', lookbackStart(ctx, t.lookbackHours), ctx.nowUs + HOUR_US)}
         GROUP BY exchange, symbol, "interval", window_start, revision
       ) WHERE revision = latest AND copies > 1`,
      'exchange, symbol, "interval", window_start',
    );
    return { observed: failingRows, threshold: 0, failingRows, samples };
  },
});
