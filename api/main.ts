/**
 * Entry point of the API (`marketlake api`): config, lake readers, the live Kafka feed, the
 * Temporal client, the app, the HTTP server; one shutdown stopping them in reverse order.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { kafkaBrokerList } from '../common/config.ts';
import { createLogger } from '../common/logger.ts';
import { createMetricsRegistry } from '../common/metrics.ts';
import { Shutdown } from '../common/shutdown.ts';
import { TemporalBackfills } from './backfills.ts';
import { loadApiConfig } from './config.ts';
import { createApp } from './create-app.ts';
import { LakeReader } from './lake-reader.ts';
import { SqlRunner } from './sql-runner.ts';
import { LiveFeed } from './stream/live-feed.ts';

export async function runApi(env: NodeJS.ProcessEnv = process.env): Promise<{ port: number; stop: () => Promise<void> }> {
  const config = loadApiConfig(env);
  const logger = createLogger('api', config.LOG_LEVEL);
  const registry = createMetricsRegistry('api');
  const shutdown = new Shutdown(logger);
  const lake = await LakeReader.open({ lake: config.LAKE_DIR, engines: config.API_LAKE_ENGINES, connections: config.API_LAKE_CONNECTIONS, refreshMs: config.API_LAKE_REFRESH_MS, threads: config.API_LAKE_THREADS || undefined });
  shutdown.add('lake reader', () => lake.close());
  const sql = await SqlRunner.open(
    lake.lake,
    { maxRows: config.API_SQL_MAX_ROWS, timeoutMs: config.API_SQL_TIMEOUT_MS, maxResultBytes: config.API_SQL_MAX_RESULT_BYTES },
    { memoryLimit: config.API_SQL_MEMORY_LIMIT },
  );
  shutdown.add('sql engine', () => sql.close());
  let feed: LiveFeed | undefined;
  if (config.API_STREAM_ENABLED) {
    feed = new LiveFeed({
      brokers: kafkaBrokerList(config),
      clientId: `${config.KAFKA_CLIENT_ID}-api`,
      topics: { trades: config.API_STREAM_TRADES_TOPIC, candles: config.API_STREAM_CANDLES_TOPIC, alerts: config.API_STREAM_ALERTS_TOPIC },
      bufferEvents: config.API_STREAM_BUFFER_EVENTS,
      logger,
      registry,
    });
    // Kafka down at start leaves the API serving the lake; /health says degraded, /v1/stream 503.
    await feed.start().catch((err: Error) => logger.warn({ err: err.message }, 'live feed not started: Kafka unreachable'));
    shutdown.add('live feed', () => feed!.stop());
  }
  const backfills = new TemporalBackfills({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.API_BACKFILL_TASK_QUEUE });
  shutdown.add('temporal client', () => backfills.close());
  const app = createApp({ config, lake, sql, feed, backfills, logger, registry });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.API_PORT, hostname: config.API_HOST }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  shutdown.add('http server', () => new Promise<void>((resolve) => {
    (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    server.close(() => resolve());
  }));
  shutdown.listen();
  logger.info({ port, lake: lake.lake.root, docs: `http://127.0.0.1:${port}/docs` }, 'api listening');
  return { port, stop: () => shutdown.stopAll() };
}
