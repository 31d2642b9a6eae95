/**
 * Entry point of the streaming service (`marketlake stream`): config from the environment,
 * metrics and /health on STREAM_METRICS_PORT, graceful stop on SIGINT/SIGTERM.
 */
import { kafkaBrokerList } from '../common/config.ts';
import { waitForKafka } from '../common/kafka-startup.ts';
import { ensureWritableDir } from '../common/writable-dir.ts';
import { createLogger } from '../common/logger.ts';
import { createMetricsRegistry } from '../common/metrics.ts';
import { startObservabilityServer, type HealthReport } from '../common/observability-server.ts';
import { Shutdown } from '../common/shutdown.ts';
import { Lake, WriterThread, countCommitConflicts } from '../lake/index.ts';
import { loadStreamConfig } from './config.ts';
import { StreamMetrics } from './service/stream-metrics.ts';
import { StreamService, type InputKind } from './service/stream-service.ts';

export async function runStream(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadStreamConfig(env);
  const logger = createLogger('stream', config.LOG_LEVEL);
  const registry = createMetricsRegistry('stream');
  countCommitConflicts(registry);
  const shutdown = new Shutdown(logger).listen();
  // What cannot work is refused before anything starts: a lake we cannot write, a port taken,
  // Kafka not answering within KAFKA_STARTUP_WAIT_MS. The CLI prints the error and exits 1.
  ensureWritableDir(config.LAKE_DIR, 'LAKE_DIR');
  /** Set once started: until then /health answers 503, never 200. */
  let service: StreamService | undefined;
  const server = await startObservabilityServer({
    service: 'stream',
    registry,
    port: config.STREAM_METRICS_PORT,
    portEnvVar: 'STREAM_METRICS_PORT',
    host: config.METRICS_HOST,
    health: (): HealthReport => {
      if (!service) return { status: 'down', checks: { consumer: { status: 'down', detail: 'starting (waiting for Kafka, then recovering from the lake)' } } };
      const s = service.status();
      const lagging = s.lastFlushAt !== undefined && Date.now() - s.lastFlushAt > 60_000;
      return {
        status: s.failed ? 'down' : !s.running ? 'degraded' : lagging ? 'degraded' : 'ok',
        checks: {
          consumer: { status: s.running ? 'ok' : s.failed ? 'down' : 'degraded', detail: s.failed ?? `${s.partitions} partitions` },
          lake: { status: lagging ? 'degraded' : 'ok', detail: s.lastFlushAt ? `last flush ${new Date(s.lastFlushAt).toISOString()}` : 'no flush yet' },
          watermark: { status: 'ok', detail: Number.isFinite(s.watermarkUs) ? new Date(s.watermarkUs / 1000).toISOString() : 'no events yet' },
        },
      };
    },
  });
  shutdown.add('observability', () => server.close());
  logger.info({ url: server.url }, 'metrics and /health listening');
  await waitForKafka(kafkaBrokerList(config), { timeoutMs: config.KAFKA_STARTUP_WAIT_MS, logger, clientId: `${config.KAFKA_CLIENT_ID}-stream` });
  const lakeThreads = config.STREAM_LAKE_THREADS || undefined;
  const writer = config.STREAM_WRITER_THREAD ? await WriterThread.start({ threads: lakeThreads }) : undefined;
  if (writer) shutdown.add('lake writer thread', () => writer.close());
  const stream = new StreamService({
    brokers: kafkaBrokerList(config),
    clientId: `${config.KAFKA_CLIENT_ID}-stream`,
    groupId: config.STREAM_GROUP_ID,
    lake: new Lake(config.LAKE_DIR, { rowWriter: writer?.write }),
    logger,
    metrics: new StreamMetrics(registry),
    topics: {
      trades: config.STREAM_TRADES_TOPIC,
      tickers: config.STREAM_TICKERS_TOPIC,
      sentiment: config.STREAM_SENTIMENT_TOPIC,
      news: config.STREAM_NEWS_TOPIC,
      candles: config.STREAM_CANDLES_TOPIC,
      deadletter: config.STREAM_DEADLETTER_TOPIC,
    },
    inputs: config.STREAM_INPUTS.split(',').map((s) => s.trim()).filter(Boolean) as InputKind[],
    batchMaxRows: config.STREAM_BATCH_MAX_ROWS,
    batchMaxMs: config.STREAM_BATCH_MAX_MS,
    watermarkBoundMs: config.STREAM_WATERMARK_BOUND_MS,
    idlePartitionMs: config.STREAM_IDLE_PARTITION_MS,
    lateRetentionMs: config.STREAM_LATE_RETENTION_MS,
    reconcileLookbackMs: config.STREAM_RECONCILE_LOOKBACK_HOURS * 3_600_000,
    provisionalMs: config.STREAM_PROVISIONAL_MS,
    sessionTimeoutMs: config.STREAM_SESSION_TIMEOUT_MS,
    maxFillGapMs: config.STREAM_MAX_FILL_GAP_MS,
    idleAdvanceMs: config.STREAM_IDLE_ADVANCE_MS,
    eventTimeLimits: {
      earliestUs: config.STREAM_EARLIEST_EVENT_TIME.getTime() * 1000,
      maxLeadMs: config.STREAM_MAX_EVENT_LEAD_MS,
      maxLiveLagMs: config.STREAM_MAX_LIVE_EVENT_LAG_MS,
    },
    lakeThreads,
  });
  await stream.start();
  service = stream;
  shutdown.add('stream', () => stream.stop());
  try {
    await stream.finished;
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'stopping after a failure; restart resumes from the lake');
    await shutdown.stopAll();
    process.exit(1);
  }
}
