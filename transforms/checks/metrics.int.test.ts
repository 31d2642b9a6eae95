/** The quality gauges in a real Prometheus scrape: a run with a failing check, served as the worker serves its /metrics. */
import { afterAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../common/metrics.ts';
import { startObservabilityServer, type ObservabilityServer } from '../../common/observability-server.ts';
import { tradeEventToRow } from '../../lake/index.ts';
import { startPrometheus, type PrometheusServer } from '../../test/support/prometheus-server.ts';
import { oracleLake, oracleTrades, ORACLE_NOW_US, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { ALL_CHECKS, QualityMetrics, resolveQualityConfig, runQuality } from '../index.ts';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('quality gauges', () => {
  it('appear in a real Prometheus scrape: status, failing rows and observed value per check, newest event per symbol', async () => {
    const t: TestLake = await oracleLake();
    cleanups.push(() => t.cleanup());
    await (await t.lake.table('bronze/trades')).append(oracleTrades().slice(10, 14).map(tradeEventToRow));
    const registry = createMetricsRegistry('worker', { defaultMetrics: false });
    const run = await runQuality({ lake: t.lake, config: resolveQualityConfig(ALL_CHECKS, {}), nowUs: ORACLE_NOW_US, metrics: new QualityMetrics(registry) });
    expect(run.results.find((r) => r.check === 'trade_uniqueness')!.failingRows).toBe(4);

    const server: ObservabilityServer = await startObservabilityServer({ service: 'worker', registry, health: () => ({ status: 'ok' }), port: 0 });
    cleanups.push(() => server.close());
    const prometheus: PrometheusServer = await startPrometheus({ worker: [`127.0.0.1:${server.port}`] });
    cleanups.push(() => prometheus.stop());

    const status = await prometheus.waitFor('marketlake_quality_check_status', (r) => r.length === ALL_CHECKS.length);
    const byCheck = Object.fromEntries(status.map((s) => [s.metric.check, [s.metric.severity, s.value[1]]]));
    expect(byCheck.trade_uniqueness).toEqual(['error', '2']);
    expect(byCheck.silver_matches_bronze).toEqual(['error', '0']);
    expect(byCheck.freshness_silver).toEqual(['warn', '0']);
    expect((await prometheus.query('marketlake_quality_check_failing_rows{check="trade_uniqueness"}'))[0].value[1]).toBe('4');
    expect((await prometheus.query('marketlake_quality_check_observed{check="freshness_silver"}'))[0].value[1]).toBe('1');
    expect((await prometheus.query('marketlake_quality_runs_total > 0')).map((r) => [r.metric.outcome, r.value[1]])).toEqual([['fail', '1']]);
    const newest = await prometheus.query('marketlake_lake_latest_event_timestamp_seconds{table="silver/candles"}');
    expect(newest.map((n) => [n.metric.symbol, Number(n.value[1])])).toEqual([['BTCUSDT', Date.UTC(2017, 7, 18) / 1000]]);
  });
});
