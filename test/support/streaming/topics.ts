/** Fresh Kafka topics for one streaming test: trades (partitioned), candles and dead letters; the other inputs unused. */
import type { Kafka } from 'kafkajs';
import type { StreamServiceOptions } from '../../../streaming/index.ts';
import { createTestTopic } from '../../infra.ts';

export async function streamTestTopics(kafka: Kafka, name: string, tradePartitions = 3): Promise<StreamServiceOptions['topics']> {
  return {
    trades: await createTestTopic(kafka, `${name}-trades`, tradePartitions),
    tickers: 'unused',
    sentiment: 'unused',
    news: 'unused',
    candles: await createTestTopic(kafka, `${name}-candles`, 1),
    deadletter: await createTestTopic(kafka, `${name}-dlq`, 1),
  };
}
