/**
 * What the batch side is doing: backfills running and finished, partitions done and failed, rows
 * per second, and every workflow and schedule run with its failures, from the worker's metrics
 * (common/metrics-catalog.ts) and the Temporal server's own.
 */
import { dashboard, stat, table, thresholds, timeseries } from '../panels.ts';

export default dashboard(
  'marketlake-backfills',
  'marketlake / backfills & workflows',
  [
    stat('Backfills running', { expr: 'sum(marketlake_backfills_running)' }),
    stat('Partitions done (24h)', { expr: 'sum(increase(marketlake_backfill_partitions_total{state="done"}[24h]))' }, { decimals: 0 }),
    stat('Partitions failed (24h)', { expr: 'sum(increase(marketlake_backfill_partitions_total{state="failed"}[24h]))' }, { decimals: 0, thresholds: thresholds(1, 1) }),
    stat('Backfill rows/s', { expr: 'sum(marketlake:backfill_rows_written:rate5m)' }, { unit: 'rows/s' }),

    timeseries('Backfill partitions by state', [{ expr: 'sum by (state) (increase(marketlake_backfill_partitions_total[5m]))', legend: '{{state}}' }], { description: 'per 5 minutes: done (written), skipped (already present or dry run), failed (retry with the retryFailed signal)' }),
    timeseries('Backfill throughput', [
      { expr: 'sum(marketlake:backfill_rows_written:rate5m)', legend: 'rows/s' },
      { expr: 'sum(rate(marketlake_backfill_bytes_downloaded_total[5m]))', legend: 'archive bytes/s' },
    ]),
    timeseries('Backfill partition time (p50, p99)', [
      { expr: 'histogram_quantile(0.5, sum by (le) (rate(marketlake_backfill_partition_seconds_bucket[15m])))', legend: 'p50' },
      { expr: 'histogram_quantile(0.99, sum by (le) (rate(marketlake_backfill_partition_seconds_bucket[15m])))', legend: 'p99' },
    ], { unit: 's' }),
    timeseries('Backfill runs by outcome', [{ expr: 'sum by (outcome) (increase(marketlake_backfill_runs_total[1h]))', legend: '{{outcome}}' }], { description: 'per hour' }),

    timeseries('Workflow runs by type and outcome (per hour)', [{ expr: 'sum by (workflow, outcome) (increase(marketlake_workflow_runs_total[1h]))', legend: '{{workflow}} {{outcome}}' }], { w: 12 }),
    timeseries('Workflow duration p95', [{ expr: 'histogram_quantile(0.95, sum by (le, workflow) (rate(marketlake_workflow_duration_seconds_bucket[1h])))', legend: '{{workflow}}' }], { unit: 's' }),
    timeseries('Activity failures (per 15 min)', [{ expr: 'sum by (activity) (increase(marketlake_activity_runs_total{outcome="failure"}[15m]))', legend: '{{activity}}' }], { description: 'attempts that failed; Temporal retries them' }),
    timeseries('Activity time p95', [{ expr: 'histogram_quantile(0.95, sum by (le, activity) (rate(marketlake_activity_duration_seconds_bucket[15m])))', legend: '{{activity}}' }], { unit: 's' }),

    table('Schedules', [
      { expr: 'max by (schedule) (time() - marketlake_schedule_last_run_timestamp_seconds)', instant: true, format: 'table' },
      { expr: 'max by (schedule) (marketlake_schedule_next_run_timestamp_seconds - time())', instant: true, format: 'table' },
      { expr: 'max by (schedule) (marketlake_schedule_actions)', instant: true, format: 'table' },
      { expr: 'max by (schedule) (marketlake_schedule_paused)', instant: true, format: 'table' },
    ], {
      w: 12,
      transformations: [
        { id: 'merge', options: {} },
        { id: 'organize', options: { excludeByName: { Time: true }, renameByName: { 'Value #A': 'since last run (s)', 'Value #B': 'until next run (s)', 'Value #C': 'runs', 'Value #D': 'paused' } } },
      ],
    }),
    timeseries('Temporal server: workflows completed, schedule actions (per hour)', [
      { expr: 'sum by (workflowType) (increase(workflow_success{job="temporal"}[1h]))', legend: '{{workflowType}} completed' },
      { expr: 'sum(increase(schedule_action_success{job="temporal"}[1h]))', legend: 'schedule actions' },
    ], { w: 12, description: 'from the Temporal server\'s own /metrics' }),
  ],
  { tags: ['workflows'], time: { from: 'now-24h', to: 'now' }, refresh: '30s' },
);
