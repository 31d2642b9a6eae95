import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../common/metrics.ts';
import { Lake } from './lake.ts';
import { countCommitConflicts, tableNameOf } from './commit-metrics.ts';
import { syntheticTrades } from '../test/support/lake/synthetic-trades.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';

afterAll(removeTmpDirs);
afterEach(() => countCommitConflicts(undefined));

const DAY_US = 86_400_000_000;

describe('commit conflict counting', () => {
  it('names tables layer/name', () => {
    expect(tableNameOf('/x/lake/silver/candles')).toBe('silver/candles');
  });

  it('counts 0 for a commit that won at once and the versions a stale writer had to move over', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    countCommitConflicts(registry);
    const dir = tmpLakeDir('conflicts-');
    const a = await new Lake(dir).table('bronze/trades');
    const start = Date.UTC(2024, 0, 1) * 1000;
    await a.append(syntheticTrades({ count: 3, startUs: start }));
    const value = async () => (await registry.getSingleMetricAsString('marketlake_lake_commit_conflicts_total'));
    expect(await value()).toContain('marketlake_lake_commit_conflicts_total{table="bronze/trades",service="test"} 0');

    // A second writer (another process's handle) read the table, then two commits landed first.
    const b = await new Lake(dir).table('bronze/trades');
    const stale = await b.refresh();
    await a.append(syntheticTrades({ count: 3, startUs: start + DAY_US, firstTradeId: 10 }));
    await a.append(syntheticTrades({ count: 3, startUs: start + 2 * DAY_US, firstTradeId: 20 }));
    await b.replacePartitions(syntheticTrades({ count: 3, startUs: start + 3 * DAY_US, firstTradeId: 30 }), { readSnapshot: stale });
    expect(await value()).toContain('marketlake_lake_commit_conflicts_total{table="bronze/trades",service="test"} 2');
  });
});
