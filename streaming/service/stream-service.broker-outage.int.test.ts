/**
 * Issue 11, item 4 (the stream's side): `kill -9` of the broker during a stream, restarted 25 s
 * later on the same ports: the stream used to exit 1 after 18 s. It must ride the outage out with
 * backoff and go on by itself, losing and doubling nothing. The broker is a private one (the
 * project's stack code in a temporary state dir): the run's shared broker stays up.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lake, WriterThread } from '../../lake/index.ts';
import { createTopicsWithLeaders } from '../../stack/topics.ts';
import { capturedLogger } from '../../test/support/streaming/captured-logger.ts';
import { startPrivateBroker, type PrivateBroker } from '../../test/support/streaming/private-broker.ts';
import { lakeOutcome } from '../../test/support/streaming/silver-check.ts';
import { disorderedTrades, publishTrades } from '../../test/support/streaming/trade-stream.ts';
import { waitForBronzeToCover } from '../../test/support/streaming/wait.ts';
import { StreamService } from './stream-service.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** OUTAGE_TEST_MS sets a longer one (cli/broker-outage.soak.test.ts runs minutes with the replay). */
const OUTAGE_MS = Number(process.env.OUTAGE_TEST_MS ?? 25_000);

describe('streaming service: broker outage', () => {
  it(`rides out a kill -9 of the broker and its restart ${OUTAGE_MS / 1000} s later: goes on by itself, nothing lost or doubled`, async () => {
    const broker: PrivateBroker = await startPrivateBroker();
    cleanups.push(() => broker.destroy());
    const topics = { trades: 'outage-trades', tickers: 'unused', sentiment: 'unused', news: 'unused', candles: 'outage-candles', deadletter: 'outage-dlq' };
    const admin = broker.kafka.admin();
    await admin.connect();
    await createTopicsWithLeaders(admin, [
      { topic: topics.trades, numPartitions: 2, replicationFactor: 1 },
      { topic: topics.candles, numPartitions: 1, replicationFactor: 1 },
      { topic: topics.deadletter, numPartitions: 1, replicationFactor: 1 },
    ]);
    await admin.disconnect();
    const lakeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-stream-outage-'));
    cleanups.push(() => fs.rmSync(lakeDir, { recursive: true, force: true }));
    const writer = await WriterThread.start({ threads: 1 });
    cleanups.push(() => writer.close());
    const group = `outage-${path.basename(lakeDir)}`;
    const log = capturedLogger('info');
    const service = new StreamService({
      brokers: [broker.bootstrap],
      groupId: group,
      lake: new Lake(lakeDir, { rowWriter: writer.write }),
      logger: log.logger,
      topics,
      inputs: ['trades'],
      batchMaxMs: 300,
    });
    await service.start();
    try {
      const stream = disorderedTrades({ count: 20_000, fromUs: Date.UTC(2024, 10, 1) * 1000, spanMs: 40 * 60_000, seed: 17 });
      const half = Math.floor(stream.messages.length / 2);
      await publishTrades(broker.kafka, topics.trades, stream.messages.slice(0, half));
      // Down while the stream is busy with them.
      broker.kill();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      expect(service.status().failed).toBeUndefined();
      await broker.start();
      await publishTrades(broker.kafka, topics.trades, stream.messages.slice(half));
      await waitForBronzeToCover(broker.kafka, lakeDir, group, topics.trades, 120_000);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(service.status().failed).toBeUndefined();
      expect(log.lines.filter((l) => l.msg === 'streaming failed')).toEqual([]);
      const outcome = await lakeOutcome(lakeDir);
      expect(outcome.bronze).toEqual({ rows: stream.unique, distinct: stream.unique });
      expect(outcome.silver.mismatches).toEqual([]);
      expect(outcome.silver.compared).toBeGreaterThan(40);
    } finally {
      await service.stop();
    }
  }, OUTAGE_MS + 215_000);
});
