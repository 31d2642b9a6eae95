/**
 * kafkajs' DefaultPartitioner (murmur2 of the key, the Java client's rule, which the streaming
 * service's recovery relies on), remembered per topic and key. kafkajs calls the partitioner for
 * every message, and hashing the same few `<exchange>:<symbol>` keys again and again was a
 * visible share of publishing. A keyed message's partition depends only on the key and the
 * partition count, so the cache is keyed by both and cannot go stale.
 */
import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/** Bound on remembered keys per topic (keys are symbols: a few thousand at most in practice). */
const MAX_KEYS = 100_000;

export const CachedDefaultPartitioner: ICustomPartitioner = () => {
  const murmur2 = Partitioners.DefaultPartitioner();
  const byTopic = new Map<string, { count: number; partitions: Map<string, number> }>();
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    // Explicit partitions and keyless messages (spread at random) are not cached.
    if (message.partition !== undefined && message.partition !== null) return murmur2(args);
    if (message.key === undefined || message.key === null) return murmur2(args);
    const key = typeof message.key === 'string' ? message.key : message.key.toString('latin1');
    let t = byTopic.get(topic);
    if (t === undefined || t.count !== partitionMetadata.length || t.partitions.size >= MAX_KEYS) {
      t = { count: partitionMetadata.length, partitions: new Map() };
      byTopic.set(topic, t);
    }
    let p = t.partitions.get(key);
    if (p === undefined) {
      p = murmur2(args);
      t.partitions.set(key, p);
    }
    return p;
  };
};
