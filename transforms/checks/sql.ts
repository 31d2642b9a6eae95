/** Small SQL helpers the checks share: literals, time bounds that prune partitions, exact decimal arithmetic, failing-row queries. */
import type { CandleWindow, CheckContext } from './check.ts';

export const MINUTE_US = 60_000_000;
export const HOUR_US = 60 * MINUTE_US;

/** An SQL string literal: the lake's one quoting helper. */
export { sqlLiteral as sqlString } from '../../lake/index.ts';

/** An epoch-µs instant as a TIMESTAMPTZ (the lake's timestamps; the engine's session is UTC). */
export function timestampSql(us: number): string {
  return timestampFromUsSql(`${Math.trunc(us)}::BIGINT`);
}

/** An SQL expression of epoch µs as a TIMESTAMPTZ. */
export function timestampFromUsSql(expr: string): string {
  return `make_timestamp(${expr})::TIMESTAMPTZ`;
}

/** The UTC date of an epoch-µs instant as a DATE literal (filters on `date` prune partitions). */
export function dateSql(us: number): string {
  return `DATE '${new Date(Math.floor(us / 1000)).toISOString().slice(0, 10)}'`;
}

/** A time range `[fromUs, toUs)` over a timestamp column, with the matching `date` partition filter. */
export function timeRangeSql(column: string, fromUs: number | undefined, toUs: number, dateColumn: string | undefined = 'date'): string {
  const parts = [`${column} < ${timestampSql(toUs)}`];
  if (dateColumn) parts.push(`${dateColumn} <= ${dateSql(toUs)}`);
  if (fromUs !== undefined) {
    parts.push(`${column} >= ${timestampSql(fromUs)}`);
    if (dateColumn) parts.push(`${dateColumn} >= ${dateSql(fromUs)}`);
  }
  return parts.join(' AND ');
}

/** Start of a look-back of `hours` before now (null: the whole table). */
export function lookbackStart(ctx: Pick<CheckContext, 'nowUs'>, hours: number | null | undefined): number | undefined {
  return hours === null || hours === undefined ? undefined : ctx.nowUs - hours * HOUR_US;
}

/**
 * The window a check with `lookbackHours` judges: the run's scope when it has one (the range a
 * gold build rewrites), else the look-back (null: from the start) up to an hour past now, for
 * windows still open.
 */
export function lookbackWindow(ctx: Pick<CheckContext, 'nowUs' | 'scope'>, t: { readonly lookbackHours: number | null }): CandleWindow {
  return ctx.scope ?? { fromUs: lookbackStart(ctx, t.lookbackHours), toUs: ctx.nowUs + HOUR_US };
}

/** Silver's exact vwap and its check: the lake's (the backfill writes vwap with the same SQL). */
export { vwapSql, vwapMatchesSql } from '../../lake/index.ts';

export interface FailingRows {
  readonly failingRows: number;
  readonly samples: Record<string, unknown>[];
}

/**
 * Runs a query whose rows are the failing rows: returns how many there are and the first
 * `maxFailingRows` of them in `orderBy` order, in one pass.
 */
export async function queryFailingRows(ctx: CheckContext, failingSql: string, orderBy: string): Promise<FailingRows> {
  const { failingRows, samples } = await queryJudgedRows(ctx, { rowsSql: failingSql, failing: 'true', orderBy });
  return { failingRows, samples };
}

export interface JudgedRows extends FailingRows {
  /** The `observed` aggregate over every row (null when there are none). */
  readonly observed: number | null;
}

/**
 * One pass over rows that a check judges: `failing` (a condition over them) picks the failing rows
 * (counted, and the first `maxFailingRows` returned in `orderBy` order), `observed` (an aggregate,
 * e.g. `max(lag_minutes)`) is computed over all of them, failing or not.
 */
export async function queryJudgedRows(ctx: CheckContext, q: { rowsSql: string; failing: string; observed?: string; orderBy: string }): Promise<JudgedRows> {
  const limit = Math.max(1, Math.floor(ctx.maxFailingRows));
  const { rows } = await ctx.engine.query(`SELECT * FROM (
      SELECT *, (${q.failing}) AS __failing, count(*) FILTER (WHERE ${q.failing}) OVER () AS __failing_rows, ${q.observed ? `${q.observed} OVER ()` : 'NULL::DOUBLE'} AS __observed
      FROM (${q.rowsSql}) AS judged
    ) ORDER BY __failing DESC, ${q.orderBy} LIMIT ${limit}`);
  const failingRows = rows.length === 0 ? 0 : Number(rows[0].__failing_rows);
  const observed = rows.length === 0 ? null : numberOrNull(rows[0].__observed);
  const samples = ctx.maxFailingRows > 0 ? rows.filter((r) => r.__failing === true).map(({ __failing: _f, __failing_rows: _n, __observed: _o, ...rest }) => rest) : [];
  return { failingRows, samples, observed };
}

/** A number (or null) from a query value (DECIMAL and BIGINT arrive as strings). */
export function numberOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
