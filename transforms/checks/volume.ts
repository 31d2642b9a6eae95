/**
 * The volume checks' shared shape: rows per symbol and UTC hour, over the last `windowHours`
 * complete hours, against the median of the same hour of day over the `trailingDays` before it
 * (market activity has a daily rhythm: 14:00 is compared with earlier 14:00s, not with 03:00).
 * An hour with fewer than `collapseRatio` × median rows (an hour without any row counts as 0)
 * or more than `burstRatio` × median fails, once `minHistoryDays` of history exist.
 */
import { z } from 'zod';
import { defineCheck, type CandleWindow, type CheckContext, type QualityCheck } from './check.ts';
import { HOUR_US, queryFailingRows, timeRangeSql } from './sql.ts';

export interface VolumeSpec {
  readonly name: string;
  readonly table: string;
  readonly description: string;
  readonly view: string;
  readonly timeColumn: string;
  /** The rows of `[fromUs, toUs)` to count (default: the view's, by `timeColumn`). */
  readonly rows?: (ctx: CheckContext, window: CandleWindow) => string;
  /** What one hour's "rows" are, e.g. `count(*)` or `count(DISTINCT window_start)`. */
  readonly countSql: string;
  readonly where?: string;
}

const DAY_US = 24 * HOUR_US;

const thresholds = z
  .object({
    windowHours: z.number().int().positive().default(24),
    trailingDays: z.number().int().positive().default(7),
    minHistoryDays: z.number().int().positive().default(3),
    collapseRatio: z.number().min(0).default(0.2),
    burstRatio: z.number().positive().default(5),
  })
  .strict();

export function defineVolumeCheck(spec: VolumeSpec): QualityCheck<typeof thresholds> {
  return defineCheck({
    name: spec.name,
    table: spec.table,
    description: spec.description,
    severity: 'warn',
    blocking: false,
    thresholds,
    async run(ctx, t) {
      const checkEnd = Math.floor(ctx.nowUs / HOUR_US) * HOUR_US;
      const checkStart = checkEnd - t.windowHours * HOUR_US;
      const historyStart = checkStart - t.trailingDays * DAY_US;
      const anomalies = `WITH hourly AS (
          SELECT exchange, symbol, (epoch_us(${spec.timeColumn}) // ${HOUR_US}) * ${HOUR_US} AS hour_us, ${spec.countSql} AS n
          FROM ${spec.rows ? spec.rows(ctx, { fromUs: historyStart, toUs: checkEnd }) : spec.view} WHERE ${timeRangeSql(spec.timeColumn, historyStart, checkEnd)}${spec.where ? ` AND ${spec.where}` : ''} GROUP BY ALL
        ), firsts AS (SELECT exchange, symbol, min(hour_us) AS first_us FROM hourly GROUP BY ALL),
        grid AS (SELECT exchange, symbol, unnest(range(first_us, ${checkEnd}::BIGINT, ${HOUR_US}::BIGINT)) AS hour_us FROM firsts),
        filled AS (SELECT g.exchange, g.symbol, g.hour_us, coalesce(h.n, 0) AS n FROM grid g LEFT JOIN hourly h USING (exchange, symbol, hour_us)),
        scored AS (
          SELECT *, median(n) OVER w AS trailing_median, count(*) OVER w AS history_days FROM filled
          WINDOW w AS (PARTITION BY exchange, symbol, hour_us % ${DAY_US} ORDER BY hour_us ROWS BETWEEN ${t.trailingDays} PRECEDING AND 1 PRECEDING)
        )
        SELECT exchange, symbol, make_timestamp(hour_us)::TIMESTAMPTZ AS hour, n AS "rows", trailing_median, history_days,
          CASE WHEN n < trailing_median * ${t.collapseRatio} THEN 'collapse' ELSE 'burst' END AS kind,
          round(n / nullif(trailing_median, 0), 3) AS ratio
        FROM scored
        WHERE hour_us >= ${checkStart} AND history_days >= ${t.minHistoryDays}
          AND (n < trailing_median * ${t.collapseRatio} OR (trailing_median > 0 AND n > trailing_median * ${t.burstRatio}))`;
      const { failingRows, samples } = await queryFailingRows(ctx, anomalies, 'hour, exchange, symbol');
      return { observed: failingRows, threshold: 0, failingRows, samples };
    },
  });
}
