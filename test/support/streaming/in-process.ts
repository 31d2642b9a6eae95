/** Starting the streaming service in-process against the test Kafka and a throw-away lake. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { createLogger } from '../../../common/logger.ts';
import { Lake, WriterThread } from '../../../lake/index.ts';
import { kafkaBrokers } from '../../infra.ts';
import { streamTestTopics } from './topics.ts';
import { StreamService, type StreamServiceOptions } from '../../../streaming/index.ts';
import { waitForBronzeToCover } from './wait.ts';

export interface StreamFixture {
  readonly lakeDir: string;
  readonly group: string;
  readonly topics: StreamServiceOptions['topics'];
  start(overrides?: Partial<StreamServiceOptions>): Promise<StreamService>;
  /** Resolves once the lake's recorded offsets reach the topic's end offsets. */
  caughtUp(kafka: Kafka, timeoutMs?: number): Promise<void>;
  cleanup(): Promise<void>;
}

export async function streamFixture(kafka: Kafka, name: string, tradePartitions = 3): Promise<StreamFixture> {
  const topics = await streamTestTopics(kafka, name, tradePartitions);
  const lakeDir = fs.mkdtempSync(path.join(os.tmpdir(), `ml-stream-${name}-`));
  const group = `${name}-${path.basename(lakeDir)}`;
  // As `marketlake stream` does: Parquet files are written on a worker thread.
  const writer = await WriterThread.start({ threads: 1 });
  return {
    lakeDir,
    group,
    topics,
    async start(overrides = {}) {
      const service = new StreamService({
        brokers: kafkaBrokers(),
        groupId: group,
        lake: new Lake(lakeDir, { rowWriter: writer.write }),
        logger: createLogger('stream-test', (process.env.STREAM_TEST_LOG_LEVEL ?? 'warn') as 'warn'),
        topics,
        inputs: ['trades'],
        batchMaxMs: 300,
        sessionTimeoutMs: 6000,
        ...overrides,
      });
      await service.start();
      return service;
    },
    caughtUp(k, timeoutMs = 120_000) {
      return waitForBronzeToCover(k, lakeDir, group, topics.trades, timeoutMs);
    },
    async cleanup() {
      await writer.close();
      fs.rmSync(lakeDir, { recursive: true, force: true });
    },
  };
}
