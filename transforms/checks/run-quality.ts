/**
 * One quality run end to end, as the CLI and the workflow activities do it: open a read-only
 * engine over the lake, run the selected checks, append the results and failing rows to the gold
 * tables, set the gauges. `runBlockingChecks` is the gold build's gate: the blocking checks that
 * guard its input tables.
 */
import { LakeQueryEngine, type Lake, type TableDefinition } from '../../lake/index.ts';
import type { ConfiguredCheck, QualityConfig } from './config.ts';
import type { QualityMetrics } from './metrics.ts';
import { recordQualityRun } from './results-tables.ts';
import type { CandleWindow, CheckResult, QualityRun } from './check.ts';
import { HOUR_US } from './sql.ts';
import { isBlockingFailure, runChecks } from './runner.ts';

export interface RunQualityOptions {
  readonly lake: Lake;
  readonly config: QualityConfig;
  readonly only?: readonly string[];
  readonly filter?: (c: ConfiguredCheck) => boolean;
  readonly nowUs?: number;
  /** Judge this range instead of the checks' look-backs (see CheckContext.scope). */
  readonly scope?: CandleWindow;
  readonly runId?: string;
  readonly metrics?: QualityMetrics;
  readonly contracts?: Readonly<Record<string, TableDefinition>>;
  /** Write results to gold/quality_results and gold/quality_failures (default true). */
  readonly record?: boolean;
  readonly onResult?: (result: CheckResult, index: number, total: number) => void;
  readonly threads?: number;
}

/**
 * The read-only engine a quality run reads the lake with. Every check orders its failing rows
 * itself, so results need not keep the files' row order: materialising the run's candles is then
 * cheaper (see LakeQueryEngineOptions.preserveInsertionOrder).
 */
export function openQualityEngine(lake: Lake, threads?: number): Promise<LakeQueryEngine> {
  return LakeQueryEngine.open({ lake, threads, preserveInsertionOrder: false });
}

export async function runQuality(opts: RunQualityOptions): Promise<QualityRun> {
  const engine = await openQualityEngine(opts.lake, opts.threads);
  let run: QualityRun;
  try {
    run = await runChecks({ ...opts, engine });
  } finally {
    engine.close();
  }
  if (opts.record ?? true) await recordQualityRun(opts.lake, run);
  opts.metrics?.record(run);
  return run;
}

export interface BlockingCheckOutcome {
  readonly runId: string;
  readonly passed: boolean;
  /** Names of the blocking checks that did not pass. */
  readonly blockedBy: readonly string[];
  readonly results: readonly Pick<CheckResult, 'check' | 'table' | 'status' | 'failingRows' | 'observed' | 'threshold' | 'message'>[];
}

/**
 * Where the blocking checks' "last N hours" end by default: the end of the newest 1m candle (not
 * after the clock). Gold is built from what the lake holds, live or backfilled: its gate looks at
 * the newest data, which on a live lake is the last minutes and on a backfilled one its last day.
 */
export async function newestDataUs(lake: Lake, clockUs = Date.now() * 1000): Promise<number> {
  const engine = await LakeQueryEngine.open({ lake });
  try {
    const { rows } = await engine.query(`SELECT epoch_us(max(window_end)) AS newest FROM silver_candles_all_revisions WHERE "interval" = '1m'`);
    const newest = rows[0]?.newest;
    return newest === null || newest === undefined ? clockUs : Math.min(clockUs, Number(newest));
  } finally {
    engine.close();
  }
}

/** A `YYYY-MM-DD` that is not one: names the field. */
export class InvalidDateError extends Error {
  constructor(
    readonly field: string,
    readonly value: string,
  ) {
    super(`${field}: ${JSON.stringify(value)} is not a date (YYYY-MM-DD)`);
    this.name = 'InvalidDateError';
  }
}

function dayStartUs(field: string, date: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) : NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== date) throw new InvalidDateError(field, date);
  return ms * 1000;
}

/** Dates, both inclusive (either may be open), or every row (`all`). */
export type DateRange = { readonly from?: string; readonly to?: string } | 'all';

/**
 * The range of a gold build's `from` / `to` (UTC dates, both inclusive, as the build takes them)
 * as a scope for the checks: from the start of `from` (none: from the first row) to the end of
 * `to` (none: an hour past `nowUs`, as the look-backs); `all`: every row. Undefined when neither
 * is given (the checks' look-backs).
 */
export function scopeOfDates(range: DateRange, nowUs: number): CandleWindow | undefined {
  if (range === 'all') return { fromUs: undefined, toUs: nowUs + HOUR_US };
  if (range.from === undefined && range.to === undefined) return undefined;
  return {
    fromUs: range.from === undefined ? undefined : dayStartUs('from', range.from),
    toUs: range.to === undefined ? nowUs + HOUR_US : dayStartUs('to', range.to) + 24 * HOUR_US,
  };
}

/**
 * Runs the blocking checks that guard any of `inputs` (table names such as `silver/candles`;
 * checks of every table, `*`, always count) and records them like any run. Without `nowUs`, the
 * look-backs end at the newest data (newestDataUs). With `range` (a gold build's `from` / `to`),
 * the checks judge the dates the build rewrites instead of their look-backs: a defect in an older
 * range being rebuilt (a backfilled month) blocks that build.
 */
export async function runBlockingChecks(
  opts: Omit<RunQualityOptions, 'filter' | 'only' | 'scope'> & { readonly inputs: readonly string[]; readonly range?: DateRange },
): Promise<BlockingCheckOutcome> {
  const inputs = new Set(opts.inputs);
  const nowUs = opts.nowUs ?? (await newestDataUs(opts.lake));
  const scope = scopeOfDates(opts.range ?? {}, nowUs);
  const run = await runQuality({ ...opts, nowUs, scope, filter: (c) => c.blocking && (c.check.table === '*' || inputs.has(c.check.table)) });
  const blockedBy = run.results.filter(isBlockingFailure).map((r) => r.check);
  return {
    runId: run.runId,
    passed: blockedBy.length === 0,
    blockedBy,
    results: run.results.map(({ check, table, status, failingRows, observed, threshold, message }) => ({ check, table, status, failingRows, observed, threshold, message })),
  };
}
