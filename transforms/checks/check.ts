/**
 * What a data-quality check is: a named SQL question over the lake's views that guards one
 * table, with a severity (`warn` or `error`), whether it blocks the gold build, and thresholds
 * (a zod object with defaults, so configuration can override each one and a typo fails fast).
 * A check answers with its failing rows (each a JSON-able object a user can act on), how many
 * there are, and one observed figure set against one threshold.
 */
import type { z } from 'zod';
import type { LakeQueryEngine, TableDefinition } from '../../lake/index.ts';

export const SEVERITIES = ['warn', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CHECK_STATUSES = ['pass', 'warn', 'fail', 'error'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** What every check gets to run. */
export interface CheckContext {
  readonly engine: LakeQueryEngine;
  /** "Now" as epoch µs: the reference for freshness and for every "last N hours" (tests pin it). */
  readonly nowUs: number;
  /** How many failing rows to return at most (the rest are only counted). */
  readonly maxFailingRows: number;
  /** The contracts of the lake's tables (name → definition), for the schema check. */
  readonly contracts: Readonly<Record<string, TableDefinition>>;
  /** Whether silver holds any candle revision > 0 (else every row is its candle's latest: see latest-candles.ts). */
  readonly candleRevisions: boolean;
  /**
   * The latest silver candles of the run's widest candle window, materialised once (a temp table
   * every check reading candles shares, see latest-candles.ts); undefined when no selected check
   * declared a window.
   */
  readonly latestCandles?: MaterialisedCandles;
  /**
   * The range to judge instead of the look-backs (e.g. the dates a gold build is about to rewrite,
   * which may be a backfilled month long before now): checks with a `lookbackHours` judge the
   * rows of this range (see `lookbackWindow` in sql.ts). Undefined: each its look-back before now.
   */
  readonly scope?: CandleWindow;
  /** Whether a view (e.g. `gold_coverage`) exists in the engine. */
  hasView(name: string): boolean;
}

/** A range of silver `window_start`s, `[fromUs, toUs)` in epoch µs (no `fromUs`: from the first candle). */
export interface CandleWindow {
  readonly fromUs?: number;
  readonly toUs: number;
}

/** A temp table of the latest candles over `window`. */
export interface MaterialisedCandles {
  readonly relation: string;
  readonly window: CandleWindow;
}

export interface CheckOutcome {
  /** The figure the check measured (e.g. worst lag in minutes, rows that differ); null when nothing to measure. */
  readonly observed: number | null;
  /** The threshold `observed` was held against (null when any failing row fails the check). */
  readonly threshold: number | null;
  /** How many rows break the check (all of them, not only the sample). */
  readonly failingRows: number;
  /** Up to `maxFailingRows` of them. */
  readonly samples: readonly Record<string, unknown>[];
  /** Whether the check passed; defaults to `failingRows === 0`. */
  readonly passed?: boolean;
  /** Newest event per table and symbol, when the check measured it (freshness): exported as a gauge. */
  readonly latestEvents?: readonly LatestEvent[];
}

export interface LatestEvent {
  readonly table: string;
  readonly symbol: string;
  readonly atUs: number;
}

export interface QualityCheck<T extends z.ZodObject = z.ZodObject> {
  /** snake_case, unique: the `check_name` of results and gauges, and `--check NAME`. */
  readonly name: string;
  /** The table it guards (`silver/candles`), or `*` for every table. */
  readonly table: string;
  readonly description: string;
  readonly severity: Severity;
  /** Whether a failure stops the gold build (see runner.ts: `runBlockingChecks`). */
  readonly blocking: boolean;
  /** Thresholds with their defaults; `.strict()` so that an unknown key in configuration is an error. */
  readonly thresholds: T;
  /**
   * The window of latest silver candles the check reads (through latestCandlesSql), so that the
   * runner can materialise the widest one once for every check; absent for checks that read none.
   */
  candleWindow?(ctx: Pick<CheckContext, 'nowUs' | 'scope' | 'hasView'>, thresholds: z.infer<T>): CandleWindow | undefined;
  run(ctx: CheckContext, thresholds: z.infer<T>): Promise<CheckOutcome>;
}

/** Identity with inference: `defineCheck({ ..., thresholds: z.object({...}).strict(), run })`. */
export function defineCheck<T extends z.ZodObject>(check: QualityCheck<T>): QualityCheck<T> {
  return check;
}

/** A check's status from its outcome and severity: a failed `warn` check is `warn`, a failed `error` check is `fail`. */
export function statusOf(outcome: CheckOutcome, severity: Severity): CheckStatus {
  const passed = outcome.passed ?? outcome.failingRows === 0;
  if (passed) return 'pass';
  return severity === 'warn' ? 'warn' : 'fail';
}

/** What one check's run produced (a row of gold/quality_results, its failing rows in `samples`). */
export interface CheckResult {
  readonly check: string;
  readonly table: string;
  readonly severity: Severity;
  readonly blocking: boolean;
  readonly status: CheckStatus;
  readonly observed: number | null;
  readonly threshold: number | null;
  readonly failingRows: number;
  readonly samples: readonly Record<string, unknown>[];
  /** The error's message when status is `error`. */
  readonly message?: string;
  readonly thresholds: Record<string, unknown>;
  readonly startedAtUs: number;
  readonly durationMs: number;
  readonly latestEvents?: readonly LatestEvent[];
}

export interface QualityRun {
  readonly runId: string;
  readonly startedAtUs: number;
  readonly nowUs: number;
  /** Time spent before the first check (materialising the run's latest candles), in ms. */
  readonly prepareMs?: number;
  readonly results: readonly CheckResult[];
}
