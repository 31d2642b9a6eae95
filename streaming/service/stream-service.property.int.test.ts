/**
 * Property, end to end: random trade streams (out of order, late beyond the watermark bound,
 * duplicated; 1..4 symbols over 3 partitions) through real Kafka and the streaming service; for
 * each, silver (latest revisions) equals the DuckDB recomputation from bronze, and bronze holds
 * each distinct trade once. Runs: STREAM_PROPERTY_RUNS (default 3; each run is a full service).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { testKafka } from '../../test/infra.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';
import { lakeOutcome } from '../../test/support/streaming/silver-check.ts';
import { disorderedTrades, publishTrades } from '../../test/support/streaming/trade-stream.ts';

const RUNS = Number(process.env.STREAM_PROPERTY_RUNS ?? 3);
const fixtures: StreamFixture[] = [];
afterAll(() => Promise.all(fixtures.map((f) => f.cleanup())));
const ALL = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT'];

describe('streaming service property: silver equals the recomputation from bronze', () => {
  it('holds for random disordered, late and duplicated streams', async () => {
    const kafka = testKafka();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          count: fc.integer({ min: 500, max: 6_000 }),
          spanMin: fc.integer({ min: 3, max: 150 }),
          lateShare: fc.double({ min: 0, max: 0.1, noNaN: true }),
          dupShare: fc.double({ min: 0, max: 0.1, noNaN: true }),
          maxDelay: fc.integer({ min: 1, max: 3_000 }),
          symbols: fc.integer({ min: 1, max: 4 }),
          boundMs: fc.constantFrom(0, 2_000, 30_000),
        }),
        async (p) => {
          const fx = await streamFixture(kafka, `prop${run++}`, 3);
          fixtures.push(fx);
          const stream = disorderedTrades({ count: p.count, fromUs: Date.UTC(2024, 6, 1, 12) * 1000, spanMs: p.spanMin * 60_000, seed: p.seed, lateShare: p.lateShare, dupShare: p.dupShare, maxDelay: p.maxDelay, symbols: ALL.slice(0, p.symbols) });
          const service = await fx.start({ watermarkBoundMs: p.boundMs, batchMaxMs: 200 });
          try {
            await publishTrades(kafka, fx.topics.trades, stream.messages);
            await fx.caughtUp(kafka);
            await new Promise((r) => setTimeout(r, 800));
          } finally {
            await service.stop();
          }
          const outcome = await lakeOutcome(fx.lakeDir);
          expect(outcome.bronze).toEqual({ rows: stream.unique, distinct: stream.unique });
          expect(outcome.silver.mismatches).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  }, 600_000);
});
