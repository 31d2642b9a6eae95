/**
 * Can the data be trusted? Each quality check's status now and over time (Prometheus gauges the
 * quality run sets), its failing rows and observed values, freshness per symbol, the latest results
 * from gold/quality_results, and a coverage matrix per symbol × day that tells quiet minutes (a
 * candle with no trades: fine) apart from missing ones (no candle: a gap).
 */
import type { ValueMapping } from '@grafana/schema';
import { MappingType } from '@grafana/schema';
import { apiQueries } from '../api-queries.ts';
import { barGauge, dashboard, stat, stateTimeline, table, thresholds, timeseries } from '../panels.ts';

/** marketlake_quality_check_status values (common/metrics-catalog.ts: QUALITY_STATUS_VALUE). */
const statusMappings: ValueMapping[] = [
  {
    type: MappingType.ValueToText,
    options: {
      '0': { text: 'pass', color: 'green', index: 0 },
      '1': { text: 'warn', color: 'orange', index: 1 },
      '2': { text: 'fail', color: 'red', index: 2 },
      '3': { text: 'error', color: 'purple', index: 3 },
    },
  },
];

/** A symbol × day matrix of one coverage column, cells coloured by value. */
function coverageMatrix(title: string, column: 'missing_minutes' | 'quiet_minutes', warn: number, crit: number, description: string) {
  return table(title, [apiQueries.coverage()], {
    w: 12,
    h: 9,
    description,
    transformations: [
      { id: 'filterByValue', options: { type: 'include', match: 'any', filters: [{ fieldName: 'layer', config: { id: 'equal', options: { value: 'silver' } } }] } },
      { id: 'groupingToMatrix', options: { columnField: 'symbol', rowField: 'date', valueField: column, emptyValue: 'null' } },
    ],
    thresholds: thresholds(warn, crit),
    custom: { cellOptions: { type: 'color-background' } },
  });
}

export default dashboard(
  'marketlake-quality',
  'marketlake / data quality',
  [
    stat('Error checks failing', { expr: 'sum(marketlake:quality_checks_failing:count{severity="error"}) or vector(0)', instant: true }, { thresholds: thresholds(1, 1), graph: false }),
    stat('Warn checks failing', { expr: 'sum(marketlake:quality_checks_failing:count{severity="warn"}) or vector(0)', instant: true }, { thresholds: thresholds(1, 5), graph: false }),
    stat('Checks', { expr: 'count(max by (check) (marketlake_quality_check_status))', instant: true }, { graph: false }),
    stat('Last quality run', { expr: 'time() - max(marketlake_quality_check_last_run_timestamp_seconds)', instant: true }, { unit: 's', thresholds: thresholds(1200, 3600), graph: false, description: 'quality-15m runs every 15 minutes' }),

    stateTimeline('Check status', [{ expr: 'max by (check) (marketlake_quality_check_status)', legend: '{{check}}' }], { mappings: statusMappings, h: 10, thresholds: thresholds(1, 2) }),

    timeseries('Failing rows per check', [{ expr: 'max by (check) (marketlake_quality_check_failing_rows) > 0', legend: '{{check}}' }], { description: 'rows that broke the check in its latest run; the rows themselves are in gold/quality_failures' }),
    timeseries('Observed value per check', [{ expr: 'max by (check) (marketlake_quality_check_observed)', legend: '{{check}}' }]),

    barGauge('Freshness: newest silver candle per symbol', [{ expr: 'marketlake:silver_freshness_seconds', legend: '{{symbol}}', instant: true }], { unit: 's', thresholds: thresholds(300, 900) }),
    barGauge('Freshness: newest bronze trade per symbol', [{ expr: 'time() - max by (symbol) (marketlake_lake_latest_event_timestamp_seconds{table="bronze/trades"})', legend: '{{symbol}}', instant: true }], { unit: 's', thresholds: thresholds(120, 600) }),

    table('Latest results (gold/quality_results)', [apiQueries.qualityResults()], {
      w: 24,
      h: 9,
      sortBy: [{ displayName: 'started_at', desc: true }],
      overrides: [{ matcher: { id: 'byName', options: 'status' }, properties: [{ id: 'mappings', value: [{ type: MappingType.ValueToText, options: { pass: { color: 'green', index: 0 }, warn: { color: 'orange', index: 1 }, fail: { color: 'red', index: 2 }, error: { color: 'purple', index: 3 } } }] }, { id: 'custom.cellOptions', value: { type: 'color-text' } }] }],
    }),

    table('Failing rows (gold/quality_failures)', [apiQueries.qualityFailures()], { w: 24, h: 9, sortBy: [{ displayName: 'started_at', desc: true }], description: 'up to N rows per failing check and run, exactly as the check saw them' }),

    coverageMatrix('Missing minutes (no candle) per symbol × day', 'missing_minutes', 1, 60, 'from gold/coverage: minutes with no silver candle at all, a gap to repair with a backfill'),
    coverageMatrix('Quiet minutes (candle, no trades) per symbol × day', 'quiet_minutes', 60, 600, 'from gold/coverage: minutes whose candle carries the previous close with volume 0 (Binance\'s rule), not a gap'),
  ],
  { tags: ['quality'], time: { from: 'now-7d', to: 'now' }, refresh: '1m' },
);
