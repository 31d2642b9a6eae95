/**
 * The Kafka sender thread against the test run's broker: values cross as one UTF-8 buffer and
 * arrive byte for byte (multi-byte characters included), topics and keys stay with their
 * messages, kafkajs's errors keep their name and `retriable`, and a dead thread fails every
 * send for good (non-retriable) and says so through `failure`.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../common/logger.ts';
import { freePort } from '../../stack/net.ts';
import { createTestTopic, kafkaBrokers, testKafka } from '../../test/infra.ts';
import { readTopic } from '../../test/support/read-topic.ts';
import { SenderThread } from './sender-thread.ts';
import type { SenderOptions } from './batch-sender.ts';

const logger = createLogger('sender-thread-test', 'silent');
const options = (brokers: string[]): SenderOptions => ({ brokers, clientId: 'sender-thread-test', connectionTimeoutMs: 500, requestTimeoutMs: 10_000, compression: 'none' });

describe('SenderThread', () => {
  it('delivers every value byte for byte, to its topic and key, across two topics', async () => {
    const kafka = testKafka();
    const [a, b] = [await createTestTopic(kafka, 'sender-a', 2), await createTestTopic(kafka, 'sender-b', 1)];
    const texts = ['plain', 'café €5 — 價格 📈', '"quoted" \\ back\\slash', 'x'.repeat(5_000), ''];
    const messages = Array.from({ length: 600 }, (_, i) => ({
      topic: i % 3 === 0 ? b : a,
      key: `k${i % 7}`,
      json: JSON.stringify({ i, text: texts[i % texts.length] }),
    }));
    const sender = new SenderThread(options(kafkaBrokers()), logger);
    try {
      await sender.connect();
      await sender.send(messages.slice(0, 250));
      await sender.send(messages.slice(250));
    } finally {
      await sender.disconnect();
    }
    for (const topic of [a, b]) {
      const expected = messages.filter((m) => m.topic === topic);
      const received = await readTopic(kafka, topic, expected.length);
      const key = (m: { key: string; json?: string; value?: string }) => `${m.key}|${m.json ?? m.value}`;
      expect(received.map(key).sort()).toEqual(expected.map(key).sort());
      // Order per key is kept (one key, one partition).
      for (const k of new Set(expected.map((m) => m.key))) {
        expect(received.filter((m) => m.key === k).map((m) => m.value)).toEqual(expected.filter((m) => m.key === k).map((m) => m.json));
      }
    }
  }, 60_000);

  it("rejects with kafkajs's error name and retriable flag when the broker cannot be reached", async () => {
    const sender = new SenderThread(options([`127.0.0.1:${await freePort()}`]), logger);
    try {
      const err = (await sender.connect().catch((e: unknown) => e)) as Error & { retriable?: boolean };
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toMatch(/^KafkaJS/);
      expect(typeof err.retriable).toBe('boolean');
      expect(sender.failure).toBeUndefined();
    } finally {
      await sender.disconnect();
    }
  }, 60_000);

  it('fails every send for good, non-retriable, once its thread is gone', async () => {
    const sender = new SenderThread(options(kafkaBrokers()), logger);
    await sender.connect();
    // The worker dies (a crash, an out-of-memory kill): nothing can be sent any more.
    await (sender as unknown as { rpc: { worker: { terminate(): Promise<number> } } }).rpc.worker.terminate();
    const err = (await sender.send([{ topic: 'any', key: 'k', json: '{}' }]).catch((e: unknown) => e)) as Error & { retriable?: boolean };
    expect(err.message).toMatch(/sender thread exited/);
    expect(err.retriable).toBe(false);
    expect(sender.failure).toBe(err);
    await sender.disconnect();
  }, 60_000);
});
