/**
 * Environment of `marketlake produce` and `marketlake replay`: the base keys plus the Kafka
 * publisher's tuning and the simulator's settings. Each source (binance, coingecko, ...) parses
 * its own keys in its own config module.
 */
import { z } from 'zod';
import { baseEnvSchema, kafkaBrokerList, parseEnv } from '../common/config.ts';
import type { Logger } from '../common/logger.ts';
import type { Registry } from 'prom-client';
import { ALL_TOPICS } from '../common/topics.ts';
import { TRADE_GAPS_TOPIC } from '../common/events/index.ts';
import { KafkaPublisher } from './kafka-publisher.ts';
import { DEFAULT_SIM_SYMBOLS } from './simulator/symbols.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const producerEnvSchema = baseEnvSchema.extend({
  /** Bounds of the in-memory publish buffer; sources wait when it is full. */
  PRODUCER_BUFFER_EVENTS: positiveInt(100_000),
  PRODUCER_BUFFER_BYTES: positiveInt(64 * 1024 * 1024),
  /** Bounds of one Kafka send; the bytes stay under the broker's 1 MB message.max.bytes. */
  PRODUCER_BATCH_EVENTS: positiveInt(5_000),
  PRODUCER_BATCH_BYTES: positiveInt(900_000),
  /** How long a part-full batch waits for more events. */
  PRODUCER_LINGER_MS: z.coerce.number().int().min(0).default(5),
  /** none is fastest on loopback (measured; see bench/producers-publish.bench.ts); gzip saves bandwidth. */
  PRODUCER_COMPRESSION: z.enum(['none', 'gzip']).default('none'),
  /** kafkajs on a worker thread of its own, encoding records beside the source instead of in turns with it. */
  PRODUCER_SENDER_THREAD: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** How long sends may fail (broker down) before a batch is given up; until then it is resent with backoff. */
  PRODUCER_MAX_OUTAGE_MS: positiveInt(15 * 60_000),
  /** On shutdown, how long to keep trying to deliver what is buffered. */
  PRODUCER_CLOSE_TIMEOUT_MS: positiveInt(30_000),
  /** Appended to every topic name (e.g. `.staging`); tests use it to stay off the real topics. */
  PRODUCER_TOPIC_SUFFIX: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
  SIMULATOR_SYMBOLS: z
    .string()
    .default(DEFAULT_SIM_SYMBOLS.map((s) => s.symbol).join(','))
    .transform((s) => s.split(',').map((x) => x.trim().toUpperCase()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[A-Z0-9]+$/, 'symbols such as BTCUSDT')).min(1)),
  /** Mean trades per second over all symbols, or `max` (as fast as Kafka takes them). */
  SIMULATOR_RATE: z
    .string()
    .default('50')
    .transform((v, ctx) => {
      if (v === 'max') return 'max' as const;
      const n = Number(v);
      if (!(n > 0)) {
        ctx.addIssue({ code: 'custom', message: 'a positive number of trades per second, or "max"' });
        return z.NEVER;
      }
      return n;
    }),
  SIMULATOR_SEED: z.coerce.number().int().default(1),
  /** Exchange id of simulated trades (keys `<exchange>:<symbol>`), kept apart from real ones. */
  SIMULATOR_EXCHANGE: z.string().regex(/^[a-z0-9_-]+$/).default('sim'),
  /** Binance REST root, probed by `produce auto` to choose between Binance and the simulator. */
  BINANCE_REST_BASE_URL: z.string().url().default('https://api.binance.com'),
  PRODUCER_PROBE_TIMEOUT_MS: positiveInt(2_000),
});

export type ProducerConfig = z.infer<typeof producerEnvSchema>;

export function loadProducerConfig(env: NodeJS.ProcessEnv = process.env): ProducerConfig {
  return parseEnv(producerEnvSchema, env);
}

export function createPublisher(config: ProducerConfig, name: string, logger: Logger, registry: Registry): KafkaPublisher {
  return new KafkaPublisher({
    brokers: kafkaBrokerList(config),
    clientId: `${config.KAFKA_CLIENT_ID}-${name}`,
    name,
    logger,
    registry,
    bufferEvents: config.PRODUCER_BUFFER_EVENTS,
    bufferBytes: config.PRODUCER_BUFFER_BYTES,
    batchEvents: config.PRODUCER_BATCH_EVENTS,
    batchBytes: config.PRODUCER_BATCH_BYTES,
    lingerMs: config.PRODUCER_LINGER_MS,
    compression: config.PRODUCER_COMPRESSION,
    senderThread: config.PRODUCER_SENDER_THREAD,
    maxOutageMs: config.PRODUCER_MAX_OUTAGE_MS,
    topicNames: config.PRODUCER_TOPIC_SUFFIX
      ? Object.fromEntries([...ALL_TOPICS, TRADE_GAPS_TOPIC].map((t) => [t, `${t}${config.PRODUCER_TOPIC_SUFFIX}`]))
      : undefined,
  });
}
