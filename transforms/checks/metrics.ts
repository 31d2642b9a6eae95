/**
 * Prometheus gauges of the quality checks, set after every run (labels: check, table, severity):
 * - `marketlake_quality_check_status`: 0 pass, 1 warn, 2 fail, 3 error (Grafana maps the values);
 * - `marketlake_quality_check_failing_rows`, `marketlake_quality_check_observed`;
 * - `marketlake_quality_check_duration_seconds`, `marketlake_quality_check_last_run_timestamp_seconds`.
 */
import { Gauge, type Registry } from 'prom-client';
import type { CheckStatus, QualityRun } from './check.ts';

export const STATUS_VALUE: Readonly<Record<CheckStatus, number>> = { pass: 0, warn: 1, fail: 2, error: 3 };

const LABELS = ['check', 'table', 'severity'] as const;

export class QualityMetrics {
  private readonly status: Gauge<(typeof LABELS)[number]>;
  private readonly failingRows: Gauge<(typeof LABELS)[number]>;
  private readonly observed: Gauge<(typeof LABELS)[number]>;
  private readonly duration: Gauge<(typeof LABELS)[number]>;
  private readonly lastRun: Gauge<(typeof LABELS)[number]>;

  constructor(registry: Registry) {
    const gauge = (name: string, help: string) => {
      const existing = registry.getSingleMetric(name);
      return (existing as Gauge<(typeof LABELS)[number]> | undefined) ?? new Gauge({ name, help, labelNames: LABELS, registers: [registry] });
    };
    this.status = gauge('marketlake_quality_check_status', 'Latest status of a data-quality check: 0 pass, 1 warn, 2 fail, 3 error');
    this.failingRows = gauge('marketlake_quality_check_failing_rows', 'Rows failing a data-quality check at its latest run');
    this.observed = gauge('marketlake_quality_check_observed', "The figure a data-quality check measured at its latest run (see the check's threshold)");
    this.duration = gauge('marketlake_quality_check_duration_seconds', 'How long the latest run of a data-quality check took');
    this.lastRun = gauge('marketlake_quality_check_last_run_timestamp_seconds', 'When a data-quality check last ran (Unix time)');
  }

  record(run: QualityRun): void {
    for (const r of run.results) {
      const labels = { check: r.check, table: r.table, severity: r.severity };
      this.status.set(labels, STATUS_VALUE[r.status]);
      this.failingRows.set(labels, r.failingRows);
      // A check that measured nothing keeps no stale value.
      if (r.observed === null || !Number.isFinite(r.observed)) this.observed.remove(labels);
      else this.observed.set(labels, r.observed);
      this.duration.set(labels, r.durationMs / 1000);
      this.lastRun.set(labels, (r.startedAtUs + r.durationMs * 1000) / 1e6);
    }
  }
}
