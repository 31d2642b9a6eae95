/**
 * Entry point of `marketlake worker`: config, metrics and /health on WORKER_METRICS_PORT (with the
 * Temporal SDK's own metrics appended), the two workers, the schedules, the gap-repair consumer;
 * stopped in reverse order on SIGINT/SIGTERM.
 */
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { kafkaBrokerList } from '../common/config.ts';
import { createLogger } from '../common/logger.ts';
import { createMetricsRegistry } from '../common/metrics.ts';
import { startObservabilityServer } from '../common/observability-server.ts';
import { Shutdown } from '../common/shutdown.ts';
import { Lake, LakeQueryEngine, countCommitConflicts } from '../lake/index.ts';
import { keptEngineThreads } from '../transforms/index.ts';
import { loadWorkerConfig } from './config.ts';
import { startGapRepairConsumer } from './gap-repair/consumer.ts';
import { ensureSchedules } from './schedules.ts';
import { startWorkers } from './worker.ts';

function loopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Installs the SDK runtime with its Prometheus exporter on a loopback port; returns that port's URL. */
async function installRuntimeMetrics(): Promise<string> {
  const port = await loopbackPort();
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` }, metricPrefix: 'temporal_' }, logging: { filter: { core: 'WARN' } } } });
  return `http://127.0.0.1:${port}/metrics`;
}

export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadWorkerConfig(env);
  const logger = createLogger('worker', config.LOG_LEVEL);
  const registry = createMetricsRegistry('worker');
  countCommitConflicts(registry);
  const shutdown = new Shutdown(logger).listen();
  const sdkMetricsUrl = await installRuntimeMetrics();
  let ready = false;
  let failure: string | undefined;
  const server = await startObservabilityServer({
    service: 'worker',
    registry,
    port: config.WORKER_METRICS_PORT,
    portEnvVar: 'WORKER_METRICS_PORT',
    host: config.METRICS_HOST,
    extraMetrics: async () => (await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2000) })).text(),
    health: () => ({
      status: failure ? 'down' : ready ? 'ok' : 'degraded',
      checks: { workers: { status: failure ? 'down' : ready ? 'ok' : 'degraded', detail: failure ?? (ready ? 'polling marketlake and marketlake-backfill' : 'starting') } },
    }),
  });
  shutdown.add('observability', () => server.close());
  logger.info({ port: server.port }, 'metrics and /health listening');

  const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  shutdown.add('temporal worker connection', () => nativeConnection.close());
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  shutdown.add('temporal client connection', () => connection.close());
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

  if (config.WORKER_ENSURE_SCHEDULES) {
    const ensured = await ensureSchedules(client);
    logger.info({ schedules: ensured }, 'schedules ensured');
  }
  const lake = new Lake(config.LAKE_DIR);
  // The gold build publishes new alerts: one idempotent producer, connected on first use.
  const alertsKafka = new Kafka({ clientId: `${config.KAFKA_CLIENT_ID}-worker-alerts`, brokers: kafkaBrokerList(config), logLevel: logLevel.WARN });
  let producer: Promise<Producer> | undefined;
  const kafkaProducer = () =>
    (producer ??= (async () => {
      const p = alertsKafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await p.connect();
      return p;
    })().catch((err) => {
      producer = undefined;
      throw err;
    }));
  shutdown.add('kafka producer', async () => {
    if (producer) await (await producer).disconnect();
  });
  // The gold builds' engine, open while the worker runs (see ActivityDeps.goldEngine).
  const goldEngine = await LakeQueryEngine.open({ lake, readOnly: false, memoryLimit: config.WORKER_GOLD_MEMORY_LIMIT, threads: keptEngineThreads() });
  shutdown.add('gold engine', () => goldEngine.close());
  const workers = await startWorkers(nativeConnection, { lake, config, fetch: globalThis.fetch, logger, registry, kafkaProducer, goldEngine });
  shutdown.add('temporal workers', () => workers.shutdown());
  ready = true;
  logger.info({ queues: ['marketlake', 'marketlake-backfill'] }, 'workers polling');

  if (config.WORKER_GAP_REPAIR) {
    const kafka = new Kafka({ clientId: `${config.KAFKA_CLIENT_ID}-worker`, brokers: kafkaBrokerList(config), logLevel: logLevel.WARN });
    startGapRepairConsumer({ kafka, client, topic: config.GAPS_TOPIC, groupId: 'marketlake-gap-repair', logger }).then(
      (consumer) => shutdown.add('gap repair consumer', () => consumer.stop()),
      (err: Error) => logger.warn({ err: err.message }, 'gap repair consumer not started (Kafka unreachable?): gaps are not repaired automatically'),
    );
  }
  try {
    await workers.running;
  } catch (err) {
    failure = (err as Error).message;
    logger.fatal({ err: failure }, 'a worker failed: stopping');
    await shutdown.stopAll();
    process.exit(1);
  }
}
