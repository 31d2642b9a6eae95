/** Creating the Kafka topics (ARCHITECTURE.md, "Topics") on any Kafka (the local stack's, or docker compose's). Idempotent. */
import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { ALL_TOPICS, TOPICS } from '../common/topics.ts';
import { waitUntil } from './net.ts';

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
      await createTopicsWithLeaders(
        admin,
        missing.map((topic) => ({
          topic,
          numPartitions: topic === TOPICS.trades ? layout.tradesPartitions : layout.partitions,
          replicationFactor: 1,
          // Dead letters are kept long enough for a person to look at them.
          configEntries: topic === TOPICS.deadletter ? [{ name: 'retention.ms', value: String(30 * 24 * 3600 * 1000) }] : [],
        })),
      );
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates topics and resolves once every partition has a leader. kafkajs' own `waitForLeaders`
 * retries LEADER_NOT_AVAILABLE but not UNKNOWN_TOPIC_OR_PARTITION, which a busy broker answers for
 * a topic created a moment ago: that answer is tolerated and the leaders are awaited here instead.
 */
export async function createTopicsWithLeaders(admin: Admin, topics: ITopicConfig[], timeoutMs = 30_000): Promise<void> {
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (err) {
    if (!/does not host this topic-partition/.test((err as Error).message)) throw err;
  }
  await waitUntil(
    `leaders for ${topics.map((t) => t.topic).join(', ')}`,
    async () => {
      const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      return topics.every((t) => {
        const parts = meta.topics.find((m) => m.name === t.topic)?.partitions ?? [];
        return parts.length === (t.numPartitions ?? parts.length) && parts.length > 0 && parts.every((p) => p.leader >= 0);
      });
    },
    { timeoutMs, intervalMs: 100 },
  );
}
