/**
 * What the batch side is doing: backfills and their partitions done, skipped and failed, rows per
 * second; gold model builds; every workflow and activity run with its failures and latency (the Temporal SDK's series,
 * which the worker appends to its /metrics); scheduled runs and schedule actions (the Temporal
 * server's own /metrics, job "temporal").
 */
import { dashboard, stat, thresholds, timeseries } from '../panels.ts';

const SCHEDULED = 'goldBuild|qualityChecks|maintenance';

export default dashboard(
  'marketlake-backfills',
  'marketlake / backfills & workflows',
  [
    stat('Backfill activities running', { expr: 'sum(temporal_worker_task_slots_used{task_queue="marketlake-backfill", worker_type="ActivityWorker"})' }, { description: 'backfill work items (symbol × days) being fetched and committed now' }),
    stat('Partitions done (24h)', { expr: 'sum(increase(marketlake_backfill_partitions_total{state="done"}[24h]))' }, { decimals: 0 }),
    stat('Backfills failed (24h)', { expr: 'sum(increase(marketlake_backfill_runs_total{outcome="failed"}[24h]))' }, { decimals: 0, thresholds: thresholds(1, 1) }),
    stat('Backfill rows/s', { expr: 'sum(marketlake:backfill_rows_written:rate5m)' }, { unit: 'rows/s' }),

    timeseries('Backfill partitions by state (per 5 min)', [{ expr: 'sum by (state) (increase(marketlake_backfill_partitions_total[5m]))', legend: '{{state}}' }], { description: 'done (written), skipped (already present, or a dry run), failed' }),
    timeseries('Backfill throughput', [
      { expr: 'sum(marketlake:backfill_rows_written:rate5m)', legend: 'rows/s' },
      { expr: 'sum(rate(marketlake_backfill_bytes_downloaded_total[5m]))', legend: 'archive bytes/s' },
    ]),
    timeseries('Backfill time per partition (p50, p99)', [
      { expr: 'histogram_quantile(0.5, sum by (le) (rate(marketlake_backfill_partition_seconds_bucket[15m])))', legend: 'p50' },
      { expr: 'histogram_quantile(0.99, sum by (le) (rate(marketlake_backfill_partition_seconds_bucket[15m])))', legend: 'p99' },
    ], { unit: 's' }),
    timeseries('Backfill runs by outcome (per hour)', [{ expr: 'sum by (outcome) (increase(marketlake_backfill_runs_total[1h]))', legend: '{{outcome}}' }]),

    timeseries('Workflow runs (per hour)', [
      { expr: 'sum by (workflow_type) (increase(temporal_workflow_completed[1h]))', legend: '{{workflow_type}} completed' },
      { expr: 'sum by (workflow_type) (increase(temporal_workflow_failed[1h]))', legend: '{{workflow_type}} failed' },
    ], { description: 'from the worker (Temporal SDK metrics)' }),
    timeseries('Workflow time, start to end (p95)', [{ expr: 'histogram_quantile(0.95, sum by (le, workflow_type) (rate(temporal_workflow_endtoend_latency_bucket[1h])))', legend: '{{workflow_type}}' }], { unit: 'ms' }),
    timeseries('Activity failures (per 15 min)', [{ expr: 'sum by (activity_type) (increase(temporal_activity_execution_failed[15m]))', legend: '{{activity_type}}' }], { description: 'failed attempts; Temporal retries them as each activity\'s policy says' }),
    timeseries('Activity time (p95)', [{ expr: 'histogram_quantile(0.95, sum by (le, activity_type) (rate(temporal_activity_execution_latency_bucket[15m])))', legend: '{{activity_type}}' }], { unit: 'ms' }),

    timeseries('Scheduled runs completed (per hour)', [
      { expr: `sum by (workflowType) (increase(workflow_success{job="temporal", workflowType=~"${SCHEDULED}"}[1h]))`, legend: '{{workflowType}}' },
    ], { description: 'gold-hourly, quality-15m, maintenance-hourly/daily, from the Temporal server; their failures are in "Workflow runs"' }),
    timeseries('Gold models: time since the last successful build', [{ expr: 'max by (model) (time() - marketlake_transform_last_success_timestamp_seconds)', legend: '{{model}}' }], { unit: 's', thresholds: thresholds(2 * 3600, 6 * 3600), description: 'gold-hourly builds every model whose inputs changed' }),
    timeseries('Gold rows written (per hour)', [{ expr: 'sum by (model) (increase(marketlake_transform_rows_written_total[1h]))', legend: '{{model}}' }]),
    timeseries('Gold builds by outcome (per hour)', [{ expr: 'sum by (model, outcome) (increase(marketlake_transform_runs_total[1h]))', legend: '{{model}} {{outcome}}' }]),
    timeseries('Schedule actions (per hour)', [{ expr: 'sum(increase(schedule_action_success{job="temporal"}[1h]))', legend: 'workflows started by schedules' }]),
  ],
  { tags: ['workflows'], time: { from: 'now-24h', to: 'now' }, refresh: '30s' },
);
