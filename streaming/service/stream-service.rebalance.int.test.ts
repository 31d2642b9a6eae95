/**
 * Scale-out: a second instance joins the consumer group mid-stream and takes over partitions,
 * then the first one stops; each partition resumes from the lake's offsets and candle state is
 * rebuilt from bronze + silver. Bronze still holds every trade once; silver equals the
 * recomputation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testKafka } from '../../test/infra.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';
import { lakeOutcome } from '../../test/support/streaming/silver-check.ts';
import { disorderedTrades, publishTrades } from '../../test/support/streaming/trade-stream.ts';

const fixtures: StreamFixture[] = [];
afterAll(() => Promise.all(fixtures.map((f) => f.cleanup())));

describe('streaming service: rebalance', () => {
  it('a second instance joins mid-stream, the first stops: exactly once, silver = recomputation', async () => {
    const kafka = testKafka();
    const fx = await streamFixture(kafka, 'rebalance', 4);
    fixtures.push(fx);
    const stream = disorderedTrades({ count: 60_000, fromUs: Date.UTC(2024, 5, 1) * 1000, spanMs: 90 * 60_000, seed: 5, symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'XRPUSDT', 'ADAUSDT'] });
    const publishing = publishTrades(kafka, fx.topics.trades, stream.messages, { perSecond: 4_000 });
    const first = await fx.start();
    await new Promise((r) => setTimeout(r, 4_000));
    const second = await fx.start();
    // Wait until the group has rebalanced and the second instance has partitions.
    const deadline = Date.now() + 30_000;
    while (second.status().partitions === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(second.status().partitions).toBeGreaterThan(0);
    expect(first.status().partitions).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3_000));
    await first.stop();
    await publishing;
    await fx.caughtUp(kafka);
    await new Promise((r) => setTimeout(r, 1_500));
    await second.stop();

    const outcome = await lakeOutcome(fx.lakeDir);
    expect(outcome.bronze).toEqual({ rows: stream.unique, distinct: stream.unique });
    expect(outcome.silver.mismatches).toEqual([]);
    expect(outcome.silver.compared).toBeGreaterThan(6 * 60);
  }, 240_000);
});
