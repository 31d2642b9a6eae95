/**
 * Configuration comes from the environment only, parsed once at start with zod so that a typo
 * fails fast with a message naming the variable, instead of surfacing later as a strange error.
 * Every service extends `baseEnvSchema` with its own keys.
 */
import { z } from 'zod';
import path from 'node:path';
import os from 'node:os';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Keys every marketlake process understands. Ports follow the documented defaults (README, "Configuration"). */
export const baseEnvSchema = z.object({
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Root of the lake tables (bronze/, silver/, gold/). */
  LAKE_DIR: z.string().min(1).default('./lake/data'),
  /** Comma-separated Kafka bootstrap servers. */
  KAFKA_BROKERS: z.string().min(1).default('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: z.string().min(1).default('marketlake'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('marketlake'),
  /** Where `marketlake stack` keeps logs, PIDs and server state (Kafka log dirs, Temporal's SQLite). */
  MARKETLAKE_STATE_DIR: z.string().min(1).default('./.marketlake'),
  /** Where downloaded or built infrastructure (Kafka jars, the temporal binary) is cached. */
  MARKETLAKE_CACHE_DIR: z
    .string()
    .min(1)
    .default(path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'marketlake')),
  KAFKA_PORT: port(9092),
  KAFKA_CONTROLLER_PORT: port(9093),
  /** Partitions per topic when the stack creates the topics; market.trades.v1 can differ. */
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).default(3),
  KAFKA_TRADES_PARTITIONS: z.coerce.number().int().min(1).default(6),
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  PROMETHEUS_PORT: port(9090),
  /** The prometheus program for the local stack (default: on PATH, else /usr/bin/prometheus). */
  PROMETHEUS_BIN: z.string().min(1).optional(),
  API_PORT: port(8000),
  GRAFANA_PORT: port(3000),
  /**
   * Where the services' /metrics and /health servers listen: loopback by default, so that a
   * laptop does not expose them; `0.0.0.0` where another host or container scrapes them (compose).
   */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * How long a service waits at start for Kafka to answer (it may come up late, e.g. in compose)
   * before it exits with an error. Once running, services ride out broker outages without limit.
   */
  KAFKA_STARTUP_WAIT_MS: z.coerce.number().int().min(0).default(60_000),
  /** Metrics and /health ports of the long-running services (the API serves them on API_PORT). */
  PRODUCER_METRICS_PORT: port(9101),
  STREAM_METRICS_PORT: port(9102),
  WORKER_METRICS_PORT: port(9103),
});

export type BaseConfig = z.infer<typeof baseEnvSchema>;

/** Parses `env` with `schema`, throwing one ConfigError that lists every bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

export function loadBaseConfig(env: NodeJS.ProcessEnv = process.env): BaseConfig {
  return parseEnv(baseEnvSchema, env);
}

export function kafkaBrokerList(config: Pick<BaseConfig, 'KAFKA_BROKERS'>): string[] {
  return config.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);
}
