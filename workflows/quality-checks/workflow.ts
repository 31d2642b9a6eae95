/**
 * The `qualityChecks` workflow (queue `marketlake`, schedule `quality-15m`): one run of the data
 * quality checks, its results in gold/quality_results (and failing rows in gold/quality_failures)
 * and in the worker's gauges. Input, e.g. from the Temporal UI:
 * `{"checks": ["silver_matches_bronze"], "config": {"checks": {"silver_matches_bronze": {"thresholds": {"lookbackHours": 24}}}}}`
 * (all optional). A failing check does not fail the workflow: its result says `ok: false` and
 * which checks failed; the workflow fails only when the checks could not be run.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { QualityActivities, QualityChecksRequest, QualityChecksSummary } from './activities.ts';

export type QualityChecksInput = QualityChecksRequest;

const { runQualityChecks } = proxyActivities<QualityActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '5 minutes',
  retry: { maximumAttempts: 3, initialInterval: '10 seconds' },
});

export async function qualityChecks(input: QualityChecksInput = {}): Promise<QualityChecksSummary> {
  return runQualityChecks(input ?? {});
}
