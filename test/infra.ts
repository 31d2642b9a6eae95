/** Access to the test run's real Kafka and Temporal (started by test/global-setup.ts). */
import { inject } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { createTopicsWithLeaders } from '../stack/topics.ts';

export function kafkaBrokers(): string[] {
  return inject('kafkaBrokers').split(',');
}

export function temporalAddress(): string {
  return inject('temporalAddress');
}

/** The test Temporal dev server's Web UI, e.g. `http://127.0.0.1:41233`. */
export function temporalUiUrl(): string {
  return inject('temporalUiUrl');
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
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: partitions, replicationFactor: 1 }]);
  } finally {
    await admin.disconnect();
  }
  return topic;
}
