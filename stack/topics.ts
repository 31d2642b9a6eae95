/** Creating DESIGN.md's topics on any Kafka (the local stack's, or docker compose's). Idempotent. */
import { Kafka, logLevel } from 'kafkajs';
import { ALL_TOPICS, TOPICS } from '../common/topics.ts';

export interface TopicLayout {
  readonly partitions: number;
  /** market.trades.v1 carries most traffic and may get more partitions. */
  readonly tradesPartitions: number;
}

/** Creates the missing topics; returns the names it created. */
export async function ensureTopics(brokers: string[], layout: TopicLayout): Promise<string[]> {
  const admin = new Kafka({ clientId: 'marketlake-topics', brokers, logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = ALL_TOPICS.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: topic === TOPICS.trades ? layout.tradesPartitions : layout.partitions,
          replicationFactor: 1,
          // Dead letters are kept long enough for a person to look at them.
          configEntries: topic === TOPICS.deadletter ? [{ name: 'retention.ms', value: String(30 * 24 * 3600 * 1000) }] : [],
        })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
