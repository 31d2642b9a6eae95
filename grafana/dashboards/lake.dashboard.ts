/**
 * The lake's tables: Delta version, live files and bytes, small files waiting for compaction, when
 * each was last optimized, vacuumed and checkpointed, and commit conflicts; with the streaming
 * service's commit latency and batch sizes beside them. Table gauges may come from several
 * processes (worker, stream), hence max by (table).
 */
import { dashboard, table, thresholds, timeseries } from '../panels.ts';

const perTable = (expr: string) => ({ expr, instant: true, format: 'table' as const });

export default dashboard(
  'marketlake-lake',
  'marketlake / lake',
  [
    table('Tables', [
      perTable('max by (table) (marketlake_lake_table_version)'),
      perTable('max by (table) (marketlake_lake_table_files)'),
      perTable('max by (table) (marketlake_lake_table_bytes)'),
      perTable('max by (table) (marketlake_lake_small_files)'),
      perTable('max by (table) (time() - marketlake_lake_last_maintenance_timestamp_seconds{operation="optimize"})'),
      perTable('max by (table) (time() - marketlake_lake_last_maintenance_timestamp_seconds{operation="vacuum"})'),
      perTable('max by (table) (time() - marketlake_lake_last_maintenance_timestamp_seconds{operation="checkpoint"})'),
    ], {
      w: 24,
      h: 9,
      transformations: [
        { id: 'merge', options: {} },
        {
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            renameByName: { 'Value #A': 'version', 'Value #B': 'files', 'Value #C': 'bytes', 'Value #D': 'small files', 'Value #E': 'since optimize', 'Value #F': 'since vacuum', 'Value #G': 'since checkpoint' },
          },
        },
      ],
      overrides: [
        { matcher: { id: 'byName', options: 'bytes' }, properties: [{ id: 'unit', value: 'bytes' }] },
        ...['since optimize', 'since vacuum', 'since checkpoint'].map((name) => ({ matcher: { id: 'byName', options: name }, properties: [{ id: 'unit', value: 's' }, { id: 'thresholds', value: thresholds(26 * 3600, 3 * 24 * 3600) }, { id: 'custom.cellOptions', value: { type: 'color-text' } }] })),
      ],
    }),

    timeseries('Live files by table', [{ expr: 'max by (table) (marketlake_lake_table_files)', legend: '{{table}}' }]),
    timeseries('Small files waiting for compaction', [{ expr: 'max by (table) (marketlake_lake_small_files)', legend: '{{table}}' }], { description: 'files below the compaction target; the daily maintenance (or marketlake lake optimize) rewrites them' }),
    timeseries('Bytes by table', [{ expr: 'max by (table) (marketlake_lake_table_bytes)', legend: '{{table}}' }], { unit: 'bytes' }),
    timeseries('Table versions (commits)', [{ expr: 'max by (table) (marketlake_lake_table_version)', legend: '{{table}}' }]),
    timeseries('Commit conflicts (per 15 min)', [{ expr: 'sum by (table) (increase(marketlake_lake_commit_conflicts_total[15m]))', legend: '{{table}}' }], { description: 'commits that lost the race for a version and retried (optimistic concurrency)' }),
    timeseries('Streaming commit latency p99', [{ expr: 'histogram_quantile(0.99, sum by (le, table) (rate(marketlake_stream_commit_seconds_bucket[5m])))', legend: '{{table}}' }], { unit: 's' }),
    timeseries('Rows per streaming commit (p50)', [{ expr: 'histogram_quantile(0.5, sum by (le, table) (rate(marketlake_stream_batch_rows_bucket[5m])))', legend: '{{table}}' }]),
  ],
  { tags: ['lake'], time: { from: 'now-24h', to: 'now' }, refresh: '1m' },
);
