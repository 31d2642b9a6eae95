/**
 * The quality activities: `runQualityChecks` (the `qualityChecks` workflow, schedule quality-15m)
 * and `runBlockingChecks` (the gate in front of the gold build). Both record their results in
 * gold/quality_results and gold/quality_failures and set the worker's quality gauges. QUALITY_CONFIG
 * is read once, when the worker starts (a bad one stops the worker with a message naming it); a
 * workflow input's `config` overrides it for that run.
 */
import { Context } from '@temporalio/activity';
import {
  ALL_CHECKS,
  changedInputDates,
  MODELS,
  isErrorFailure,
  mergeQualityConfigInputs,
  qualityConfigInputFromEnv,
  QualityMetrics,
  resolveQualityConfig,
  runBlockingChecks,
  runQuality,
  type BlockingCheckOutcome,
  type CheckResult,
  type DateRange,
  type QualityConfig,
  type QualityConfigInput,
} from '../../transforms/index.ts';
import type { ActivityDeps } from '../activity-deps.ts';

export interface QualityChecksRequest {
  /** Only these checks (default: every enabled one). */
  readonly checks?: readonly string[];
  /** Judge the lake as of this time (ISO) instead of now. */
  readonly now?: string;
  /** Overrides on top of QUALITY_CONFIG for this run. */
  readonly config?: QualityConfigInput;
}

export interface QualityChecksSummary {
  readonly runId: string;
  /** False when an error-severity check failed or could not run. */
  readonly ok: boolean;
  readonly failed: readonly string[];
  readonly results: readonly Pick<CheckResult, 'check' | 'table' | 'severity' | 'blocking' | 'status' | 'observed' | 'threshold' | 'failingRows' | 'durationMs' | 'message'>[];
}

export interface BlockingChecksRequest {
  /** The tables the build reads, e.g. `silver/candles`. */
  readonly inputs: readonly string[];
  /** The dates the build rewrites (`YYYY-MM-DD`, inclusive): judged instead of the checks' look-backs. */
  readonly from?: string;
  readonly to?: string;
  /**
   * Without from/to, the build's models and whether it is a full one: a full build judges
   * everything, an incremental one the dates its inputs changed since its models' last commits
   * (nothing changed: the look-backs).
   */
  readonly select?: readonly string[];
  readonly fullRefresh?: boolean;
  readonly now?: string;
}

function nowUsOf(now: string | undefined): number | undefined {
  if (now === undefined) return undefined;
  const ms = Date.parse(now);
  if (!Number.isFinite(ms)) throw new TypeError(`now: ${JSON.stringify(now)} is not an ISO time`);
  return ms * 1000;
}

/** The dates a gold build will rewrite, as the gate's range (see BlockingChecksRequest). */
async function buildRange(deps: ActivityDeps, req: BlockingChecksRequest, config: QualityConfig): Promise<DateRange> {
  if (req.from !== undefined || req.to !== undefined) return { from: req.from, to: req.to };
  if (req.fullRefresh) return 'all';
  // Only the tables the blocking checks guard matter (an unpartitioned bronze/sentiment changing daily must not widen it).
  const tables = config.checks.filter((c) => c.blocking && req.inputs.includes(c.check.table)).map((c) => c.check.table);
  const changed = await changedInputDates(deps.lake, MODELS, { select: req.select, tables });
  return changed === 'none' ? {} : changed;
}

export function createQualityActivities(deps: ActivityDeps) {
  const rangeOf = (req: BlockingChecksRequest, config: QualityConfig) => buildRange(deps, req, config);
  const base = qualityConfigInputFromEnv({ QUALITY_CONFIG: deps.config.QUALITY_CONFIG, STREAM_MAX_FILL_GAP_MS: deps.config.STREAM_MAX_FILL_GAP_MS }) as QualityConfigInput;
  // Validated now: a worker with a bad QUALITY_CONFIG does not start.
  resolveQualityConfig(ALL_CHECKS, base, 'QUALITY_CONFIG');
  const metrics = new QualityMetrics(deps.registry);
  const progress = (r: CheckResult, i: number, n: number) => {
    Context.current().heartbeat({ done: i, total: n, check: r.check, status: r.status });
    deps.logger.info({ check: r.check, status: r.status, failingRows: r.failingRows, ms: r.durationMs }, `quality check ${i}/${n} ${r.check}: ${r.status}`);
  };
  return {
    async runQualityChecks(req: QualityChecksRequest = {}): Promise<QualityChecksSummary> {
      const config = resolveQualityConfig(ALL_CHECKS, mergeQualityConfigInputs(base, req.config), 'qualityChecks input');
      const run = await runQuality({ lake: deps.lake, config, only: req.checks, nowUs: nowUsOf(req.now), metrics, onResult: progress });
      const failed = run.results.filter((r) => r.status !== 'pass').map((r) => r.check);
      return {
        runId: run.runId,
        ok: !run.results.some(isErrorFailure),
        failed,
        results: run.results.map(({ check, table, severity, blocking, status, observed, threshold, failingRows, durationMs, message }) => ({ check, table, severity, blocking, status, observed, threshold, failingRows, durationMs, message })),
      };
    },

    async runBlockingChecks(req: BlockingChecksRequest): Promise<BlockingCheckOutcome> {
      const config = resolveQualityConfig(ALL_CHECKS, base, 'QUALITY_CONFIG');
      return runBlockingChecks({ lake: deps.lake, config, inputs: req.inputs, range: await rangeOf(req, config), nowUs: nowUsOf(req.now), metrics, onResult: progress });
    },
  };
}

export type QualityActivities = ReturnType<typeof createQualityActivities>;
