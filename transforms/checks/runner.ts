/**
 * The check runner: runs the configured checks one after another on one set of lake views (one
 * consistent snapshot per table), times each, turns outcomes into statuses, and never lets one
 * broken check hide the others (an exception is that check's `error` status). Before the first
 * check, the latest silver candles of the widest window the selected checks read are materialised
 * once (latest-candles.ts). Recording the run (gold tables, gauges) is separate: see
 * results-tables.ts and metrics.ts, or `runQuality`.
 */
import { randomUUID } from 'node:crypto';
import { KNOWN_TABLES, type LakeQueryEngine, type TableDefinition } from '../../lake/index.ts';
import { statusOf, type CandleWindow, type CheckContext, type CheckResult, type QualityRun } from './check.ts';
import type { ConfiguredCheck, QualityConfig } from './config.ts';
import { dropLatestCandles, materialiseLatestCandles, unionOfWindows } from './latest-candles.ts';
import { QUALITY_TABLES } from './results-tables.ts';

export class UnknownCheckError extends Error {
  constructor(
    readonly names: readonly string[],
    readonly known: readonly string[],
  ) {
    super(`no such check: ${names.join(', ')} (known: ${known.join(', ')})`);
    this.name = 'UnknownCheckError';
  }
}

export interface RunChecksOptions {
  readonly engine: LakeQueryEngine;
  readonly config: QualityConfig;
  /** Only these checks (by name); unknown names throw UnknownCheckError. */
  readonly only?: readonly string[];
  /** Further selection (e.g. blocking checks of some tables). */
  readonly filter?: (c: ConfiguredCheck) => boolean;
  /** The reference "now" (epoch µs); default the clock. */
  readonly nowUs?: number;
  /** Judge this range instead of each check's look-back (CheckContext.scope): e.g. what a gold build rewrites. */
  readonly scope?: CandleWindow;
  readonly runId?: string;
  /** Table contracts for the schema check; default the lake's known tables and the quality tables. */
  readonly contracts?: Readonly<Record<string, TableDefinition>>;
  /** Called after each check (progress). */
  readonly onResult?: (result: CheckResult, index: number, total: number) => void;
}

/** The contracts the schema check holds tables to by default. */
export function defaultContracts(extra: readonly TableDefinition[] = []): Record<string, TableDefinition> {
  return { ...KNOWN_TABLES, ...Object.fromEntries([...QUALITY_TABLES, ...extra].map((d) => [d.name, d])) };
}

/** The configured checks a run would execute (enabled, selected), in order. */
export function selectChecks(config: QualityConfig, only?: readonly string[], filter?: (c: ConfiguredCheck) => boolean): ConfiguredCheck[] {
  if (only && only.length > 0) {
    const known = config.checks.map((c) => c.check.name);
    const unknown = only.filter((n) => !known.includes(n));
    if (unknown.length > 0) throw new UnknownCheckError(unknown, known);
  }
  return config.checks.filter((c) => (only && only.length > 0 ? only.includes(c.check.name) : c.enabled) && (!filter || filter(c)));
}

export async function runChecks(opts: RunChecksOptions): Promise<QualityRun> {
  const selected = selectChecks(opts.config, opts.only, opts.filter);
  const startedAtUs = Date.now() * 1000;
  const nowUs = opts.nowUs ?? startedAtUs;
  await opts.engine.refresh();
  const views = new Set(Object.keys(opts.engine.viewVersions()));
  // One cheap column scan decides whether the checks may read silver without resolving revisions.
  const revised = await opts.engine.query(`SELECT count(*) AS n FROM silver_candles_all_revisions WHERE revision > 0`);
  const hasView = (name: string) => views.has(name);
  const candleRevisions = Number(revised.rows[0]?.n ?? 0) > 0;
  // The latest candles of the widest window any selected check reads, decoded once for all of them.
  const prepareStart = performance.now();
  const window = unionOfWindows(selected.flatMap((c) => c.check.candleWindow?.({ nowUs, scope: opts.scope, hasView }, c.thresholds) ?? []));
  const latestCandles = window && (await materialiseLatestCandles(opts.engine, candleRevisions, window));
  const prepareMs = Math.round(performance.now() - prepareStart);
  const ctx: CheckContext = {
    engine: opts.engine,
    nowUs,
    maxFailingRows: opts.config.maxFailingRows,
    contracts: opts.contracts ?? defaultContracts(),
    candleRevisions,
    latestCandles,
    scope: opts.scope,
    hasView,
  };
  try {
    const results = await runEach(selected, ctx, opts);
    return { runId: opts.runId ?? randomUUID(), startedAtUs, nowUs, prepareMs, results };
  } finally {
    await dropLatestCandles(opts.engine, latestCandles);
  }
}

async function runEach(selected: readonly ConfiguredCheck[], ctx: CheckContext, opts: RunChecksOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const c of selected) {
    const t0 = performance.now();
    const checkStartUs = Date.now() * 1000;
    const base = { check: c.check.name, table: c.check.table, severity: c.severity, blocking: c.blocking, thresholds: c.thresholds, startedAtUs: checkStartUs };
    let result: CheckResult;
    try {
      const outcome = await c.check.run(ctx, c.thresholds);
      result = {
        ...base,
        status: statusOf(outcome, c.severity),
        observed: outcome.observed,
        threshold: outcome.threshold,
        failingRows: outcome.failingRows,
        samples: outcome.samples.slice(0, opts.config.maxFailingRows),
        latestEvents: outcome.latestEvents,
        durationMs: Math.round(performance.now() - t0),
      };
    } catch (err) {
      result = { ...base, status: 'error', observed: null, threshold: null, failingRows: 0, samples: [], message: (err as Error).message, durationMs: Math.round(performance.now() - t0) };
    }
    results.push(result);
    opts.onResult?.(result, results.length, selected.length);
  }
  return results;
}

/** Whether a result should make `marketlake quality run` exit non-zero: an `error` check that failed or could not run. */
export function isErrorFailure(r: CheckResult): boolean {
  return r.severity === 'error' && (r.status === 'fail' || r.status === 'error');
}

/** Whether a result stops the gold build: a blocking check that did not pass (whatever its severity; an error is not a pass). */
export function isBlockingFailure(r: CheckResult): boolean {
  return r.blocking && r.status !== 'pass';
}
