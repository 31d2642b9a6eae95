/**
 * The quality run on the Prometheus series the boards and alert rules read (common/metrics-catalog.ts:
 * `marketlake_quality_check_status` 0 pass / 1 warn / 2 fail / 3 error, `_failing_rows`,
 * `_observed`, `_last_run_timestamp_seconds`, `marketlake_quality_runs_total`, and the freshness
 * checks' newest event per table and symbol as `marketlake_lake_latest_event_timestamp_seconds`).
 */
import type { Registry } from 'prom-client';
import { qualityMetrics, recordQualityCheck, type QualityMetrics as CatalogQualityMetrics } from '../../common/metrics-catalog.ts';
import type { QualityRun } from './check.ts';
import { isErrorFailure } from './runner.ts';

export class QualityMetrics {
  private readonly metrics: CatalogQualityMetrics;

  constructor(registry: Registry) {
    this.metrics = qualityMetrics(registry);
  }

  record(run: QualityRun): void {
    for (const r of run.results) {
      recordQualityCheck(this.metrics, { check: r.check, severity: r.severity, status: r.status, failingRows: r.failingRows, observed: r.observed, at: new Date(r.startedAtUs / 1000 + r.durationMs) });
      for (const e of r.latestEvents ?? []) this.metrics.latestEvent.set({ table: e.table, symbol: e.symbol }, e.atUs / 1e6);
    }
    const outcome = run.results.some((r) => r.status === 'error' && r.severity === 'error') ? 'error' : run.results.some(isErrorFailure) ? 'fail' : 'pass';
    this.metrics.runs.inc({ outcome });
  }
}
