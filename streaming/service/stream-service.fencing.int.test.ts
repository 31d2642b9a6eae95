/**
 * Silver ownership fencing: when another owner claims a trades partition in silver/candles (what
 * a new instance does after a rebalance, before it reads silver), the instance that held it must
 * not land another candle for it. Here the claim is written by hand while the service runs, so
 * the race a rebalance only sometimes produces happens every time: the service's next candle
 * commit is fenced, it drops those candles, rebuilds the partition from the lake (claiming it
 * again), and silver still converges to the recomputation from bronze.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../common/metrics.ts';
import { Lake } from '../../lake/index.ts';
import { testKafka } from '../../test/infra.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';
import { lakeOutcome } from '../../test/support/streaming/silver-check.ts';
import { disorderedTrades, publishTrades } from '../../test/support/streaming/trade-stream.ts';
import { waitForValue } from '../../test/support/streaming/wait.ts';
import { claimOwnership } from './ownership-claims.ts';
import { StreamMetrics } from './stream-metrics.ts';

const fixtures: StreamFixture[] = [];
afterAll(() => Promise.all(fixtures.map((f) => f.cleanup())));

async function counter(metrics: StreamMetrics, reason: string): Promise<number> {
  const values = (await metrics.commitFailures.get()).values;
  return values.filter((v) => v.labels.table === 'silver/candles' && v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
}

describe('streaming service: silver ownership fencing', () => {
  it('a foreign claim fences the next candle commit; the service re-claims and silver = recomputation', async () => {
    const kafka = testKafka();
    const fx = await streamFixture(kafka, 'fencing', 2);
    fixtures.push(fx);
    const stream = disorderedTrades({ count: 40_000, fromUs: Date.UTC(2024, 6, 1) * 1000, spanMs: 60 * 60_000, seed: 11, symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT'] });
    const half = Math.floor(stream.messages.length / 2);
    const metrics = new StreamMetrics(createMetricsRegistry('stream-fencing-test'));
    const service = await fx.start({ metrics });
    try {
      await publishTrades(kafka, fx.topics.trades, stream.messages.slice(0, half), { perSecond: 10_000 });
      const silver = await new Lake(fx.lakeDir).table('silver/candles');
      const appIds = [0, 1].map((p) => `stream:${fx.group}:silver:${fx.topics.trades}:${p}`);
      // The service has claimed both partitions and committed candles under its epochs.
      const epochs = await waitForValue('claims and candles in silver', async () => {
        const snap = await silver.refresh();
        const e = appIds.map((a) => snap.txnVersion(a));
        return e.every((v) => v !== undefined) && snap.addFiles().length > 0 ? (e as number[]) : undefined;
      });

      // Another owner claims both partitions, as a new instance does (retried if the service's
      // own candle commit, which re-asserts its epochs, lands at the same moment).
      expect(await claimOwnership(silver, appIds)).toEqual(epochs.map((e) => e + 1));

      await publishTrades(kafka, fx.topics.trades, stream.messages.slice(half), { perSecond: 10_000 });
      await fx.caughtUp(kafka);
      // The service saw the claim (its candle commit was fenced) and claimed both partitions back.
      await waitForValue('a fenced candle commit', async () => ((await counter(metrics, 'fenced')) > 0 ? true : undefined));
      const reclaimed = await waitForValue('the service to claim the partitions again', async () => {
        const snap = await silver.refresh();
        const e = appIds.map((a) => snap.txnVersion(a) ?? 0);
        return e.every((v, i) => v >= epochs[i] + 2) ? e : undefined;
      });
      expect(reclaimed.every((v, i) => v >= epochs[i] + 2)).toBe(true);
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      await service.stop();
    }
    expect(service.status().failed).toBeUndefined();

    const outcome = await lakeOutcome(fx.lakeDir);
    expect(outcome.bronze).toEqual({ rows: stream.unique, distinct: stream.unique });
    expect(outcome.silver.mismatches).toEqual([]);
    expect(outcome.silver.compared).toBeGreaterThan(4 * 50);
  }, 180_000);
});
