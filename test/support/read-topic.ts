/** Test helper: reads a topic from the beginning until `count` messages arrived (or times out). */
import type { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';

export interface ReadMessage {
  readonly key: string;
  readonly value: string;
  readonly partition: number;
  readonly offset: string;
}

export async function readTopic(kafka: Kafka, topic: string, count: number, opts: { timeoutMs?: number; settleMs?: number } = {}): Promise<ReadMessage[]> {
  const consumer = kafka.consumer({ groupId: `read-${topic}-${randomUUID().slice(0, 8)}` });
  await consumer.connect();
  const received: ReadMessage[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${count} messages arrived on ${topic}`)), opts.timeoutMs ?? 30_000);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            received.push({ key: m.key?.toString() ?? '', value: m.value?.toString() ?? '', partition: batch.partition, offset: m.offset });
          }
          if (received.length >= count) {
            clearTimeout(timer);
            // Wait a little longer so that a duplicate would be seen too.
            setTimeout(resolve, opts.settleMs ?? 300);
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}
