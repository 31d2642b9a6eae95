/**
 * Which Kafka partition a key lands in. Producers use kafkajs's DefaultPartitioner (the Java
 * client's murmur2 rule) with the `<exchange>:<symbol>` key of DESIGN.md, so after a rebalance
 * the streaming service can tell which symbols' state it must rebuild for the partitions it got.
 */
import { Partitioners } from 'kafkajs';

export function partitionOfKey(key: string, numPartitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: numPartitions }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  return partitioner({ topic: 'any', partitionMetadata, message: { key, value: null } });
}
