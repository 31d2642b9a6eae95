/**
 * missing_minutes: no live symbol lacks 1m candles beyond `toleranceMinutes` over the look-back. A
 * quiet minute is not a gap (it has its candle, volume 0); a minute without any candle is. Read
 * from `gold_coverage` (layer `silver`) when that view exists, else with the same definition over
 * silver: the holes between a symbol's consecutive 1m candles, each reported as a range. (A
 * symbol that stopped altogether is the freshness checks' business.)
 */
import { z } from 'zod';
import { defineCheck } from './check.ts';
import { liveSymbolThresholds, liveSymbolsSql } from './live-symbols.ts';
import { candleKeysSql } from './latest-candles.ts';
import { MINUTE_US, dateSql, lookbackWindow, queryJudgedRows, timestampFromUsSql } from './sql.ts';

export const missingMinutes = defineCheck({
  name: 'missing_minutes',
  table: 'silver/candles',
  description: 'Live symbols have every 1m candle between their first and latest ones (missing minutes ≤ toleranceMinutes per symbol).',
  severity: 'warn',
  blocking: false,
  thresholds: z
    .object({
      lookbackHours: z.number().positive().nullable().default(24),
      toleranceMinutes: z.number().int().min(0).default(0),
      /** Use gold_coverage when it exists (false: always compute from silver). */
      useCoverage: z.boolean().default(true),
      ...liveSymbolThresholds,
    })
    .strict(),
  // Only read from silver when gold_coverage is not there to be read.
  candleWindow: (ctx, t) => (ctx.hasView('gold_coverage') && t.useCoverage ? undefined : lookbackWindow(ctx, t)),
  async run(ctx, t) {
    const w = lookbackWindow(ctx, t);
    const fromUs = w.fromUs;
    const live = liveSymbolsSql(ctx, t);
    const holes = ctx.hasView('gold_coverage') && t.useCoverage
      ? `SELECT c.exchange, c.symbol, 'gold_coverage' AS source, c.date::VARCHAR AS day, NULL::TIMESTAMPTZ AS first_missing, NULL::TIMESTAMPTZ AS last_missing,
           c.missing_minutes::BIGINT AS missing_minutes
         FROM gold_coverage c JOIN live USING (exchange, symbol)
         WHERE c.layer = 'silver' AND c.missing_minutes > 0 AND c.date <= ${dateSql(ctx.scope ? w.toUs - 1 : ctx.nowUs)}${fromUs === undefined ? '' : ` AND c.date >= ${dateSql(fromUs)}`}`
      : // Symbols whose minute count already tells they have no hole (the usual case) skip the ordering.
        `WITH minutes AS MATERIALIZED (
           SELECT DISTINCT exchange, symbol, epoch_us(window_start) AS ws FROM ${candleKeysSql(ctx, w, `"interval" = '1m'`)}
         ), holed AS (
           SELECT m.exchange, m.symbol FROM minutes m JOIN live USING (exchange, symbol)
           GROUP BY ALL HAVING count(*) < (max(ws) - min(ws)) // ${MINUTE_US} + 1
         )
         SELECT exchange, symbol, 'silver_candles' AS source, ${timestampFromUsSql(`ws + ${MINUTE_US}`)}::DATE::VARCHAR AS day,
           ${timestampFromUsSql(`ws + ${MINUTE_US}`)} AS first_missing, ${timestampFromUsSql(`next_ws - ${MINUTE_US}`)} AS last_missing,
           (next_ws - ws) // ${MINUTE_US} - 1 AS missing_minutes
         FROM (
           SELECT exchange, symbol, ws, lead(ws) OVER (PARTITION BY exchange, symbol ORDER BY ws) AS next_ws
           FROM minutes JOIN holed USING (exchange, symbol)
         ) WHERE next_ws - ws > ${MINUTE_US}`;
    const { failingRows, samples, observed } = await queryJudgedRows(ctx, {
      rowsSql: `WITH live AS (${live}), holes AS (${holes})
        SELECT *, sum(missing_minutes) OVER (PARTITION BY exchange, symbol) AS symbol_missing_minutes FROM holes`,
      failing: `symbol_missing_minutes > ${t.toleranceMinutes}`,
      observed: 'sum(missing_minutes)',
      orderBy: 'exchange, symbol, day, first_missing',
    });
    return { observed: observed ?? 0, threshold: t.toleranceMinutes, failingRows, samples };
  },
});
