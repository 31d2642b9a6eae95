/**
 * `marketlake produce <source>`: runs one source into the Kafka publisher, with /metrics and
 * /health on PRODUCER_METRICS_PORT, until SIGINT/SIGTERM. Stop order (reverse of start): the
 * source stops taking input, the publisher flushes and reports, the metrics server closes.
 *
 * Sources are modules exposing `create<Name>Producer(config, sink, deps): SourceProducer` and a
 * config loader (see producers/polling/source.ts). `auto` probes Binance's REST ping and runs
 * `binance` when it answers, the simulator otherwise (what `marketlake dev` starts).
 */
import type { Registry } from 'prom-client';
import { kafkaBrokerList } from '../common/config.ts';
import { waitForKafka } from '../common/kafka-startup.ts';
import { createLogger, type Logger } from '../common/logger.ts';
import { createMetricsRegistry } from '../common/metrics.ts';
import { startObservabilityServer } from '../common/observability-server.ts';
import { Shutdown } from '../common/shutdown.ts';
import type { EventSink } from './event-sink.ts';
import { combineHealth, type SourceDeps, type SourceProducer } from './polling/source.ts';
import { createPublisher, loadProducerConfig, type ProducerConfig } from './producer-config.ts';
import { runSimulator } from './simulator/run-simulator.ts';

export const PRODUCER_NAMES = ['binance', 'coingecko', 'feargreed', 'news', 'simulator'] as const;
export type ProducerName = (typeof PRODUCER_NAMES)[number];

type SourceFactory = (config: ProducerConfig, sink: EventSink, deps: SourceDeps, env: NodeJS.ProcessEnv) => Promise<SourceProducer>;

function simulatorSource(config: ProducerConfig, sink: EventSink, deps: SourceDeps): SourceProducer {
  let published = 0;
  return {
    run: async () => {
      await runSimulator(sink, deps.signal, {
        symbols: config.SIMULATOR_SYMBOLS,
        seed: config.SIMULATOR_SEED,
        exchange: config.SIMULATOR_EXCHANGE,
        ratePerSecond: config.SIMULATOR_RATE,
        onPublished: (n) => (published = n),
      });
    },
    health: () => ({ status: 'ok', checks: { simulator: { status: 'ok', detail: `${published} trades published at ${config.SIMULATOR_RATE}/s` } } }),
  };
}

const SOURCES: Record<ProducerName, SourceFactory> = {
  simulator: async (config, sink, deps) => simulatorSource(config, sink, deps),
  binance: async (_c, sink, deps, env) => {
    const m = await import('./binance/index.ts');
    return m.createBinanceProducer(m.loadBinanceConfig(env), sink, deps);
  },
  coingecko: async (_c, sink, deps, env) => {
    const m = await import('./coingecko/index.ts');
    return m.createCoinGeckoProducer(m.loadCoinGeckoConfig(env), sink, deps);
  },
  feargreed: async (_c, sink, deps, env) => {
    const m = await import('./feargreed/index.ts');
    return m.createFearGreedProducer(m.loadFearGreedConfig(env), sink, deps);
  },
  news: async (_c, sink, deps, env) => {
    const m = await import('./news/index.ts');
    return m.createNewsProducer(m.loadNewsConfig(env), sink, deps);
  },
};

/** True when Binance's REST API answers its ping within the timeout. */
export async function binanceReachable(baseUrl: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/v3/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** `auto`: Binance when reachable (and its module is present), the simulator otherwise. */
export async function chooseProducer(config: ProducerConfig, logger: Logger): Promise<ProducerName> {
  const reachable = await binanceReachable(config.BINANCE_REST_BASE_URL, config.PRODUCER_PROBE_TIMEOUT_MS);
  if (!reachable) {
    logger.info({ url: config.BINANCE_REST_BASE_URL }, 'Binance is not reachable: running the simulator');
    return 'simulator';
  }
  try {
    const modulePath = './binance/index.ts';
    await import(modulePath);
    return 'binance';
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'Binance is reachable but its producer module is missing: running the simulator');
    return 'simulator';
  }
}

export interface RunningProducer {
  readonly name: ProducerName;
  readonly registry: Registry;
  readonly metricsUrl: string;
  /** Resolves when the source stopped and the publisher closed. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Starts a producer; `listen: true` (the CLI) also installs the SIGINT/SIGTERM handlers. */
export async function startProducer(requested: ProducerName | 'auto', opts: { env?: NodeJS.ProcessEnv; listen?: boolean } = {}): Promise<RunningProducer> {
  const env = opts.env ?? process.env;
  const config = loadProducerConfig(env);
  const bootLogger = createLogger('producer', config.LOG_LEVEL);
  const name = requested === 'auto' ? await chooseProducer(config, bootLogger) : requested;
  const service = `producer-${name}`;
  const logger = createLogger(service, config.LOG_LEVEL);
  const registry = createMetricsRegistry(service);
  const shutdown = new Shutdown(logger, { perComponentTimeoutMs: config.PRODUCER_CLOSE_TIMEOUT_MS + 5_000, exit: opts.listen ?? false });
  if (opts.listen) shutdown.listen();

  // What cannot work is refused before anything starts: the metrics port taken, Kafka not
  // answering within KAFKA_STARTUP_WAIT_MS (the CLI prints the error and exits 1). Once running,
  // the publisher rides out broker outages, holding events in its bounded buffer.
  let health: (() => ReturnType<typeof combineHealth>) | undefined;
  const server = await startObservabilityServer({
    service,
    registry,
    port: config.PRODUCER_METRICS_PORT,
    portEnvVar: 'PRODUCER_METRICS_PORT',
    host: config.METRICS_HOST,
    health: () => health?.() ?? { status: 'down', checks: { kafka: { status: 'down', detail: 'starting: waiting for Kafka' } } },
  });
  shutdown.add('metrics server', () => server.close());
  try {
    await waitForKafka(kafkaBrokerList(config), { timeoutMs: config.KAFKA_STARTUP_WAIT_MS, logger, clientId: `${config.KAFKA_CLIENT_ID}-${name}` });
  } catch (err) {
    await shutdown.stopAll();
    throw err;
  }
  const publisher = createPublisher(config, name, logger, registry).start();
  const abort = new AbortController();
  const source = await SOURCES[name](config, publisher, { signal: abort.signal, logger, registry }, env);
  health = () => combineHealth([publisher.health(), source.health()]);
  shutdown.add('kafka publisher', async () => {
    await publisher.close({ timeoutMs: config.PRODUCER_CLOSE_TIMEOUT_MS });
  });
  logger.info({ producer: name, metrics: `${server.url}/metrics`, health: `${server.url}/health` }, 'producer started');

  const running = source.run().then(
    () => logger.info('source stopped'),
    (err: unknown) => logger.error({ err }, 'source failed'),
  );
  shutdown.add(`source ${name}`, async () => {
    abort.abort();
    await running;
  });
  // A source that ends on its own (a finished simulator run, a fatal error) stops the producer too.
  const done = running.then(() => shutdown.stopAll());
  return { name, registry, metricsUrl: `${server.url}/metrics`, done, stop: () => shutdown.stopAll() };
}
