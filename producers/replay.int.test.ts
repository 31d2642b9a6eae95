/** Replay of the real 2017-08-17 trades file into the real Kafka broker. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.ts';
import type { TradeEvent } from '../common/events/index.ts';
import { TOPICS } from '../common/topics.ts';
import { createTestTopic, kafkaBrokers, testKafka } from '../test/infra.ts';
import { KafkaPublisher } from './kafka-publisher.ts';
import { MemorySink } from '../test/support/memory-sink.ts';
import { TRADES_2017_CSV } from '../test/support/binance/binance-local-server.ts';
import { readTopic } from '../test/support/read-topic.ts';
import { parseReplaySpeed, replayArchive } from './replay.ts';

describe('replay', () => {
  it('publishes all 3,427 trades of 2017-08-17 at max speed: in id order within the key, none twice', async () => {
    const kafka = testKafka();
    const topic = await createTestTopic(kafka, 'replay-trades');
    const publisher = new KafkaPublisher({ brokers: kafkaBrokers(), name: 'replay', logger: createLogger('replay-test', 'silent'), topicNames: { [TOPICS.trades]: topic } });
    const result = await replayArchive(TRADES_2017_CSV, publisher, { speed: 'max' });
    const report = await publisher.close();
    expect(result).toMatchObject({ published: 3_427, invalidRows: 0, aborted: false, firstTradeId: 0, lastTradeId: 3_426 });
    expect(report).toMatchObject({ delivered: 3_427, undelivered: 0, deadLettered: 0 });

    const messages = await readTopic(kafka, topic, 3_427, { settleMs: 1_000 });
    expect(messages).toHaveLength(3_427);
    expect(new Set(messages.map((m) => m.key))).toEqual(new Set(['binance:BTCUSDT']));
    const ids = messages.map((m) => (JSON.parse(m.value) as TradeEvent).tradeId);
    expect(ids).toEqual(Array.from({ length: 3_427 }, (_, i) => i));
  });

  it('keeps the original pacing scaled by --speed', async () => {
    // The first 3 trades span 3,963 ms (…28.322 → …32.285 → …32.322); at speed 4 that is ~1 s.
    const sink = new MemorySink();
    const abort = new AbortController();
    const started = Date.now();
    const result = await replayArchive(TRADES_2017_CSV, sink, {
      speed: 4,
      signal: abort.signal,
      onProgress: (n) => {
        if (n === 3) abort.abort();
      },
    });
    const elapsed = Date.now() - started;
    expect(result.published).toBe(3);
    expect(result.aborted).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('parses --speed', () => {
    expect(parseReplaySpeed('max')).toBe('max');
    expect(parseReplaySpeed('2.5')).toBe(2.5);
    expect(() => parseReplaySpeed('0')).toThrow(/positive number or "max"/);
    expect(() => parseReplaySpeed('fast')).toThrow(/positive number/);
  });
});
