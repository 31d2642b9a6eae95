import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from './metrics.ts';
import { backfillMetrics, httpMetrics, lakeTableMetrics, qualityMetrics, recordLakeTable, recordQualityCheck, transformMetrics } from './metrics-catalog.ts';

describe('metrics catalog', () => {
  it('registers every family once per registry and shares it between callers', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    const factories = [backfillMetrics, transformMetrics, qualityMetrics, lakeTableMetrics, httpMetrics];
    for (const f of factories) f(registry);
    const count = (await registry.getMetricsAsJSON()).length;
    for (const f of factories) f(registry);
    expect((await registry.getMetricsAsJSON()).length).toBe(count);
    expect(backfillMetrics(registry).partitions).toBe(backfillMetrics(registry).partitions);
    for (const m of await registry.getMetricsAsJSON()) expect(m.name).toMatch(/^marketlake_[a-z_]+$/);
  });

  it('exposes quality results as ordered status numbers and lake snapshots as gauges', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    const quality = qualityMetrics(registry);
    recordQualityCheck(quality, { check: 'candles_ohlc_consistent', severity: 'error', status: 'fail', failingRows: 3, observed: 3, at: new Date(1_700_000_000_000) });
    recordLakeTable(lakeTableMetrics(registry), 'silver/candles', { version: 12n, files: 40, bytes: 1234, smallFiles: 7 });
    const text = await registry.metrics();
    expect(text).toContain('marketlake_quality_check_status{check="candles_ohlc_consistent",severity="error",service="test"} 2');
    expect(text).toContain('marketlake_quality_check_last_run_timestamp_seconds{check="candles_ohlc_consistent",service="test"} 1700000000');
    expect(text).toContain('marketlake_lake_table_version{table="silver/candles",service="test"} 12');
    expect(text).toContain('marketlake_lake_small_files{table="silver/candles",service="test"} 7');
    // enumerated outcomes exist at 0 before anything happened: "no failure" is data, not a gap
    backfillMetrics(registry);
    const after = await registry.metrics();
    expect(after).toContain('marketlake_backfill_partitions_total{state="failed",service="test"} 0');
    expect(after).toContain('marketlake_backfill_runs_total{outcome="failed",service="test"} 0');
    expect(after).toContain('marketlake_quality_runs_total{outcome="fail",service="test"} 0');
  });
});
