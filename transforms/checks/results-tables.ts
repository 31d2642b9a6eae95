/**
 * Where check results go: `gold/quality_results` (one row per check per run) and
 * `gold/quality_failures` (up to `maxFailingRows` failing rows per check per run, each as JSON),
 * both partitioned by the UTC date of the run, so `marketlake sql` and the API can ask
 * "what failed today, and which rows exactly".
 */
import type { Lake, LakeRow, TableDefinition } from '../../lake/index.ts';
import type { QualityRun } from './check.ts';

export const QUALITY_RESULTS: TableDefinition = {
  name: 'gold/quality_results',
  description: 'One row per data-quality check and run: status, observed value against threshold, failing rows.',
  columns: [
    { name: 'run_id', type: 'string', nullable: false },
    { name: 'check_name', type: 'string', nullable: false },
    { name: 'table_name', type: 'string', nullable: false, comment: "the table the check guards ('*' for all)" },
    { name: 'severity', type: 'string', nullable: false, comment: 'warn | error' },
    { name: 'blocking', type: 'boolean', nullable: false, comment: 'whether a failure stops the gold build' },
    { name: 'status', type: 'string', nullable: false, comment: 'pass | warn | fail | error' },
    { name: 'observed', type: 'double' },
    { name: 'threshold', type: 'double' },
    { name: 'failing_rows', type: 'long', nullable: false },
    { name: 'message', type: 'string', comment: 'the error when status is error' },
    { name: 'thresholds', type: 'string', nullable: false, comment: 'every threshold the check ran with, as JSON' },
    { name: 'started_at', type: 'timestamp', nullable: false },
    { name: 'duration_ms', type: 'long', nullable: false },
    { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(started_at)) AS DATE)` },
  ],
  partitionColumns: ['date'],
};

export const QUALITY_FAILURES: TableDefinition = {
  name: 'gold/quality_failures',
  description: 'Failing rows of data-quality checks (up to a configured number per check and run), as JSON.',
  columns: [
    { name: 'run_id', type: 'string', nullable: false },
    { name: 'check_name', type: 'string', nullable: false },
    { name: 'table_name', type: 'string', nullable: false },
    { name: 'row', type: 'string', nullable: false, comment: 'the failing row as a JSON object' },
    { name: 'started_at', type: 'timestamp', nullable: false },
    { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(started_at)) AS DATE)` },
  ],
  partitionColumns: ['date'],
};

export const QUALITY_TABLES: readonly TableDefinition[] = [QUALITY_RESULTS, QUALITY_FAILURES];

/** Appends a run's results and failing rows (two commits: results first, so a reader never sees failures without their result). */
export async function recordQualityRun(lake: Lake, run: QualityRun): Promise<void> {
  const results = await lake.createTable(QUALITY_RESULTS);
  const failures = await lake.createTable(QUALITY_FAILURES);
  const resultRows: LakeRow[] = run.results.map((r) => ({
    run_id: run.runId,
    check_name: r.check,
    table_name: r.table,
    severity: r.severity,
    blocking: r.blocking,
    status: r.status,
    observed: r.observed,
    threshold: r.threshold,
    failing_rows: r.failingRows,
    message: r.message ?? null,
    thresholds: JSON.stringify(r.thresholds),
    started_at: r.startedAtUs,
    duration_ms: r.durationMs,
  }));
  if (resultRows.length > 0) await results.append(resultRows, { parameters: { runId: run.runId } });
  const failureRows: LakeRow[] = run.results.flatMap((r) =>
    r.samples.map((row) => ({ run_id: run.runId, check_name: r.check, table_name: r.table, row: JSON.stringify(row), started_at: r.startedAtUs })),
  );
  if (failureRows.length > 0) await failures.append(failureRows, { parameters: { runId: run.runId } });
}
