/**
 * The freshness checks' shared shape: per live symbol, the newest value of a time column within
 * the live look-back, and its lag behind now in minutes; a symbol lagging more than
 * `maxLagMinutes` (or with nothing at all, when the symbols are configured) fails.
 */
import { z } from 'zod';
import { defineCheck, type QualityCheck } from './check.ts';
import { liveSymbolThresholds, liveSymbolsSql } from './live-symbols.ts';
import { HOUR_US, MINUTE_US, numberOrNull, timeRangeSql } from './sql.ts';

export interface FreshnessSpec {
  readonly name: string;
  readonly table: string;
  readonly description: string;
  readonly view: string;
  /** The time column whose newest value is measured, e.g. `window_end`. */
  readonly newestColumn: string;
  /** The event-time column that bounds the scan (with `date` pruning), e.g. `window_start`. */
  readonly eventTimeColumn: string;
  readonly where?: string;
  readonly defaultMaxLagMinutes: number;
  /** Where live symbols are found (a symbol backfilled from klines has silver but no bronze). */
  readonly liveFrom: 'bronze' | 'bronze and silver';
}

const thresholds = (defaultLag: number) => z.object({ maxLagMinutes: z.number().positive().default(defaultLag), ...liveSymbolThresholds }).strict();

export function defineFreshnessCheck(spec: FreshnessSpec): QualityCheck<ReturnType<typeof thresholds>> {
  return defineCheck({
    name: spec.name,
    table: spec.table,
    description: spec.description,
    severity: 'warn',
    blocking: false,
    thresholds: thresholds(spec.defaultMaxLagMinutes),
    async run(ctx, t) {
      const range = timeRangeSql(spec.eventTimeColumn, ctx.nowUs - t.liveLookbackHours * HOUR_US, ctx.nowUs + HOUR_US);
      const lagged = `WITH live AS (${liveSymbolsSql(ctx, t, spec.liveFrom)}),
        newest AS (SELECT exchange, symbol, max(${spec.newestColumn}) AS newest FROM ${spec.view} WHERE ${range}${spec.where ? ` AND ${spec.where}` : ''} GROUP BY ALL)
        SELECT live.exchange, live.symbol, newest.newest AS newest_${spec.newestColumn},
          round((${ctx.nowUs} - epoch_us(newest.newest)) / ${MINUTE_US}, 2) AS lag_minutes
        FROM live LEFT JOIN newest USING (exchange, symbol)`;
      // One pass: every live symbol's newest event (for the gauge), the lagging ones, the worst lag.
      const { rows } = await ctx.engine.query(`SELECT *, epoch_us(newest_${spec.newestColumn}) AS newest_us FROM (${lagged}) ORDER BY lag_minutes DESC NULLS FIRST, exchange, symbol`);
      const failing = rows.filter((r) => r.lag_minutes === null || Number(r.lag_minutes) > t.maxLagMinutes);
      const lags = rows.map((r) => numberOrNull(r.lag_minutes)).filter((v): v is number => v !== null);
      const latestEvents = rows.filter((r) => r.newest_us !== null).map((r) => ({ table: spec.table, symbol: String(r.symbol), atUs: Number(r.newest_us) }));
      return {
        observed: lags.length > 0 ? Math.max(...lags) : null,
        threshold: t.maxLagMinutes,
        failingRows: failing.length,
        samples: failing.slice(0, ctx.maxFailingRows).map(({ newest_us: _n, ...rest }) => rest),
        latestEvents,
      };
    },
  });
}
