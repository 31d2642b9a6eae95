/** Smoke test: kafkajs produces to and consumes from the real broker the test run started. */
import { describe, expect, it } from 'vitest';
import { createTestTopic, testKafka } from '../infra.ts';
import { ALL_TOPICS } from '../../common/topics.ts';

describe('Kafka broker (real, KRaft)', () => {
  it('has the topics of common/topics.ts', async () => {
    const admin = testKafka().admin();
    await admin.connect();
    const topics = await admin.listTopics();
    await admin.disconnect();
    for (const t of ALL_TOPICS) expect(topics).toContain(t);
  });

  it('delivers what an idempotent producer sends, in order per key', async () => {
    const kafka = testKafka();
    const topic = await createTestTopic(kafka, 'smoke');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 200 }, (_, i) => ({ key: `binance:SYM${i % 4}`, value: JSON.stringify({ seq: i }) }));
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `smoke-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; seq: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} of 200 messages arrived`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({ key: message.key!.toString(), seq: JSON.parse(message.value!.toString()).seq });
          if (received.length === sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(received).toHaveLength(200);
    for (const key of new Set(received.map((r) => r.key))) {
      const seqs = received.filter((r) => r.key === key).map((r) => r.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });
});
