/** Access to the test run's real Kafka and Temporal (started by test/global-setup.ts). */
import { inject } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';

export function kafkaBrokers(): string[] {
  return inject('kafkaBrokers').split(',');
}

export function temporalAddress(): string {
  return inject('temporalAddress');
}

export function testKafka(clientId = 'marketlake-test'): Kafka {
  return new Kafka({ clientId, brokers: kafkaBrokers(), logLevel: logLevel.WARN });
}

/** A fresh topic name per test, so tests never see each other's messages. */
export async function createTestTopic(kafka: Kafka, prefix: string, partitions = 3): Promise<string> {
  const topic = `${prefix}.${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    } catch (err) {
      // kafkajs' own wait retries LEADER_NOT_AVAILABLE but not UNKNOWN_TOPIC_OR_PARTITION, which a
      // busy broker answers for a topic created a moment ago: wait for the leaders here instead.
      if (!/does not host this topic-partition/.test((err as Error).message)) throw err;
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      const parts = meta?.topics[0]?.partitions ?? [];
      if (parts.length === partitions && parts.every((p) => p.leader >= 0)) break;
      if (Date.now() > deadline) throw new Error(`topic ${topic}: no leader for every partition after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
  return topic;
}
