/**
 * The Prometheus series that the worker, the transforms, the quality checks, the lake and the API
 * expose, named in one place because the Grafana boards (grafana/dashboards) and the alert rules
 * (prometheus/rules.yml) query them by these names. Each factory get-or-creates its metrics on the
 * registry it is given (common/metrics.ts: `createMetricsRegistry(service)`), so two components of
 * one process share the series. Rename nothing here without changing the boards and rules: their
 * tests run every expression against a Prometheus that scraped the real services.
 *
 * Conventions: seconds and bytes as base units; `_total` counters (boards take rate()/increase());
 * gauges that several processes may set (the lake's) are read with max by (...) on the boards;
 * label values are bounded (route templates, not paths; table names, not file names).
 */
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { counter, gauge, histogram } from './metrics.ts';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

// ---------------------------------------------------------------------------------------------
// Backfills. Set by the worker's backfill activities (workflows/backfill/activities.ts), also when
// run in-process by `marketlake backfill --local`.
// ---------------------------------------------------------------------------------------------
export type BackfillPartitionState = 'done' | 'failed' | 'skipped';
export type BackfillOutcome = 'completed' | 'failed' | 'cancelled';

export interface BackfillMetrics {
  /** +1 per (symbol, day) partition when it ends: `done` written, `failed` gave up, `skipped` already present (mode=missing) or dry run. */
  readonly partitions: Counter<'state'>;
  /** Rows committed to the lake by backfills (rows/s = rate of this). */
  readonly rowsWritten: Counter;
  /** Archive bytes downloaded (after checksum verification). */
  readonly bytesDownloaded: Counter;
  /** Time to fetch, verify and commit one partition. */
  readonly partitionSeconds: Histogram;
  /** +1 per backfill workflow that ended, by outcome (the workflow's last activity reports it). */
  readonly runs: Counter<'outcome'>;
}

// Backfills running now are the Temporal SDK's busy activity slots on marketlake-backfill
// (temporal_worker_task_slots_used), which the Backfills board reads.

/** Every state and outcome starts at 0, so that "none failed" is a series of zeros, not no data. */
const BACKFILL_STATES: readonly BackfillPartitionState[] = ['done', 'failed', 'skipped'];
const BACKFILL_OUTCOMES: readonly BackfillOutcome[] = ['completed', 'failed', 'cancelled'];

export function backfillMetrics(registry: Registry): BackfillMetrics {
  const metrics: BackfillMetrics = {
    partitions: counter(registry, { name: 'marketlake_backfill_partitions_total', help: 'Backfill partitions (symbol x day) finished, by state: done, failed, skipped', labelNames: ['state'] }),
    rowsWritten: counter(registry, { name: 'marketlake_backfill_rows_written_total', help: 'Rows committed to the lake by backfills', labelNames: [] }),
    bytesDownloaded: counter(registry, { name: 'marketlake_backfill_bytes_downloaded_total', help: 'Archive bytes downloaded by backfills', labelNames: [] }),
    partitionSeconds: histogram(registry, { name: 'marketlake_backfill_partition_seconds', help: 'Time to fetch, verify and commit one backfill partition', labelNames: [], buckets: DURATION_BUCKETS }),
    runs: counter(registry, { name: 'marketlake_backfill_runs_total', help: 'Backfill workflows that ended, by outcome: completed, failed, cancelled', labelNames: ['outcome'] }),
  };
  for (const state of BACKFILL_STATES) metrics.partitions.inc({ state }, 0);
  for (const outcome of BACKFILL_OUTCOMES) metrics.runs.inc({ outcome }, 0);
  return metrics;
}

// Workflow, activity and schedule runs are not declared here: the worker appends the Temporal
// SDK's own series (temporal_workflow_completed/_failed, temporal_activity_execution_failed,
// temporal_*_latency, by workflow_type and activity_type) and Prometheus scrapes the Temporal
// server's (workflow_success, schedule_action_success); the Backfills board reads those.

// ---------------------------------------------------------------------------------------------
// Gold transforms. Set by the transform runner (transforms/), in the worker's goldBuild
// activities or in `marketlake transform run`.
// ---------------------------------------------------------------------------------------------
export interface TransformMetrics {
  /** +1 per model build, by model (`indicators`, `alerts`, ...) and outcome (`success`, `failure`). */
  readonly runs: Counter<'model' | 'outcome'>;
  readonly rowsWritten: Counter<'model'>;
  readonly seconds: Histogram<'model'>;
  /** Unix time of the model's last successful build. */
  readonly lastSuccess: Gauge<'model'>;
}

export function transformMetrics(registry: Registry): TransformMetrics {
  return {
    runs: counter(registry, { name: 'marketlake_transform_runs_total', help: 'Gold model builds, by model and outcome (success, failure)', labelNames: ['model', 'outcome'] }),
    rowsWritten: counter(registry, { name: 'marketlake_transform_rows_written_total', help: 'Rows written by gold model builds', labelNames: ['model'] }),
    seconds: histogram(registry, { name: 'marketlake_transform_duration_seconds', help: 'Gold model build time', labelNames: ['model'], buckets: DURATION_BUCKETS }),
    lastSuccess: gauge(registry, { name: 'marketlake_transform_last_success_timestamp_seconds', help: 'Unix time of the model\'s last successful build', labelNames: ['model'] }),
  };
}

// ---------------------------------------------------------------------------------------------
// Data quality. Set after each check by the quality runner (transforms/checks), in the worker's
// qualityChecks activities or in `marketlake quality run`.
// ---------------------------------------------------------------------------------------------
export type QualityStatus = 'pass' | 'warn' | 'fail' | 'error';
/** The value of `marketlake_quality_check_status`: ordered so that `>= 2` means "failing". */
export const QUALITY_STATUS_VALUE: Readonly<Record<QualityStatus, number>> = { pass: 0, warn: 1, fail: 2, error: 3 };

export interface QualityMetrics {
  /** Each check's latest status as QUALITY_STATUS_VALUE (0 pass, 1 warn, 2 fail, 3 error), labelled with its severity (`error`, `warn`). */
  readonly checkStatus: Gauge<'check' | 'severity'>;
  /** Rows that failed the check in its latest run. */
  readonly failingRows: Gauge<'check'>;
  /** The check's observed value in its latest run (what is compared with its threshold). */
  readonly observed: Gauge<'check'>;
  /** Unix time the check last ran. */
  readonly lastRun: Gauge<'check'>;
  /** +1 per quality run, by outcome (`pass`: no error-severity failure, `fail`, `error`). */
  readonly runs: Counter<'outcome'>;
  /** Unix time of the newest event of each symbol in a table (freshness = time() - this). */
  readonly latestEvent: Gauge<'table' | 'symbol'>;
}

export function qualityMetrics(registry: Registry): QualityMetrics {
  const metrics: QualityMetrics = {
    checkStatus: gauge(registry, { name: 'marketlake_quality_check_status', help: 'Latest status of each quality check: 0 pass, 1 warn, 2 fail, 3 error', labelNames: ['check', 'severity'] }),
    failingRows: gauge(registry, { name: 'marketlake_quality_check_failing_rows', help: 'Rows failing the quality check in its latest run', labelNames: ['check'] }),
    observed: gauge(registry, { name: 'marketlake_quality_check_observed', help: 'Observed value of the quality check in its latest run', labelNames: ['check'] }),
    lastRun: gauge(registry, { name: 'marketlake_quality_check_last_run_timestamp_seconds', help: 'Unix time the quality check last ran', labelNames: ['check'] }),
    runs: counter(registry, { name: 'marketlake_quality_runs_total', help: 'Quality runs, by outcome (pass, fail, error)', labelNames: ['outcome'] }),
    latestEvent: gauge(registry, { name: 'marketlake_lake_latest_event_timestamp_seconds', help: 'Unix time of the newest event per table and symbol', labelNames: ['table', 'symbol'] }),
  };
  for (const outcome of ['pass', 'fail', 'error']) metrics.runs.inc({ outcome }, 0);
  return metrics;
}

/** Records one check result on the quality gauges (the one place that maps a status to its number). */
export function recordQualityCheck(metrics: QualityMetrics, r: { check: string; severity: string; status: QualityStatus; failingRows: number; observed?: number | null; at?: Date }): void {
  metrics.checkStatus.set({ check: r.check, severity: r.severity }, QUALITY_STATUS_VALUE[r.status]);
  metrics.failingRows.set({ check: r.check }, r.failingRows);
  if (r.observed !== undefined && r.observed !== null && Number.isFinite(r.observed)) metrics.observed.set({ check: r.check }, r.observed);
  metrics.lastRun.set({ check: r.check }, (r.at ?? new Date()).getTime() / 1000);
}

// ---------------------------------------------------------------------------------------------
// Lake tables. Table gauges are set by whoever holds the lake and has just looked at a table's
// snapshot: the worker after each maintenance run and on a timer, `marketlake lake ...`; commit
// conflicts by the committing process (the streaming service, the worker). `table` is the lake
// name (`silver/candles`, `gold/indicators`).
// ---------------------------------------------------------------------------------------------
export type LakeMaintenanceOperation = 'optimize' | 'vacuum' | 'checkpoint';

export interface LakeTableMetrics {
  readonly version: Gauge<'table'>;
  /** Live data files in the current snapshot. */
  readonly files: Gauge<'table'>;
  readonly bytes: Gauge<'table'>;
  /** Live files below the compaction target size: what the next optimize would rewrite. */
  readonly smallFiles: Gauge<'table'>;
  /** Unix time of the last optimize / vacuum / checkpoint of the table. */
  readonly lastMaintenance: Gauge<'table' | 'operation'>;
  /** +1 per commit attempt that lost the race for a version and had to retry. */
  readonly commitConflicts: Counter<'table'>;
}

export function lakeTableMetrics(registry: Registry): LakeTableMetrics {
  return {
    version: gauge(registry, { name: 'marketlake_lake_table_version', help: 'Current Delta version of the lake table', labelNames: ['table'] }),
    files: gauge(registry, { name: 'marketlake_lake_table_files', help: 'Live data files of the lake table', labelNames: ['table'] }),
    bytes: gauge(registry, { name: 'marketlake_lake_table_bytes', help: 'Bytes of the lake table\'s live data files', labelNames: ['table'] }),
    smallFiles: gauge(registry, { name: 'marketlake_lake_small_files', help: 'Live files below the compaction target size', labelNames: ['table'] }),
    lastMaintenance: gauge(registry, { name: 'marketlake_lake_last_maintenance_timestamp_seconds', help: 'Unix time of the table\'s last maintenance operation (optimize, vacuum, checkpoint)', labelNames: ['table', 'operation'] }),
    commitConflicts: counter(registry, { name: 'marketlake_lake_commit_conflicts_total', help: 'Commits that lost the race for a table version and retried', labelNames: ['table'] }),
  };
}

/** Sets the snapshot gauges of one table in one call. */
export function recordLakeTable(metrics: LakeTableMetrics, table: string, s: { version: number | bigint; files: number; bytes: number; smallFiles: number }): void {
  metrics.version.set({ table }, Number(s.version));
  metrics.files.set({ table }, s.files);
  metrics.bytes.set({ table }, s.bytes);
  metrics.smallFiles.set({ table }, s.smallFiles);
}

// ---------------------------------------------------------------------------------------------
// HTTP. Set by the API's middleware (api/create-app.ts): `route` is the route template
// (`/v1/ohlc/:symbol`, `unmatched` for 404s), `status` the numeric code as a string.
// ---------------------------------------------------------------------------------------------
export interface HttpMetrics {
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly seconds: Histogram<'route' | 'method'>;
}

/** The API's own SSE series (marketlake_api_sse_*) are declared beside its stream route. */
export function httpMetrics(registry: Registry): HttpMetrics {
  return {
    requests: counter(registry, { name: 'marketlake_http_requests_total', help: 'HTTP requests answered, by route template, method and status code', labelNames: ['route', 'method', 'status'] }),
    seconds: histogram(registry, { name: 'marketlake_http_request_duration_seconds', help: 'HTTP request time by route template and method (streams: until the headers)', labelNames: ['route', 'method'], buckets: HTTP_BUCKETS }),
  };
}
