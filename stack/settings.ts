/** Everything the stack needs to know, derived from the environment (or built by tests). */
import path from 'node:path';
import type { BaseConfig } from '../common/config.ts';
import { temporalMetricsPort } from './temporal-ports.ts';

export interface StackSettings {
  readonly stateDir: string;
  readonly cacheDir: string;
  readonly kafka: {
    readonly port: number;
    readonly controllerPort: number;
    readonly partitions: number;
    readonly tradesPartitions: number;
    readonly heapMb: number;
  };
  readonly temporal: {
    readonly port: number;
    readonly uiPort: number;
    /** SQLite file so workflows survive a restart; undefined keeps state in memory (tests). */
    readonly dbFile: string | undefined;
    readonly namespace: string;
  };
  readonly prometheus: {
    readonly port: number;
    /** The prometheus program (PROMETHEUS_BIN); default: on PATH, else /usr/bin/prometheus. */
    readonly binary?: string;
    /** host:port of each service's /metrics, by job name. */
    readonly scrapeTargets: Readonly<Record<string, readonly string[]>>;
    /** Scrape and rule evaluation interval (e.g. `1s` in tests); prometheus.yml's when absent. */
    readonly scrapeInterval?: string;
  };
}

export function stackSettingsFromConfig(config: BaseConfig): StackSettings {
  const stateDir = path.resolve(config.MARKETLAKE_STATE_DIR);
  return {
    stateDir,
    cacheDir: path.resolve(config.MARKETLAKE_CACHE_DIR),
    kafka: {
      port: config.KAFKA_PORT,
      controllerPort: config.KAFKA_CONTROLLER_PORT,
      partitions: config.KAFKA_PARTITIONS,
      tradesPartitions: config.KAFKA_TRADES_PARTITIONS,
      heapMb: 1024,
    },
    temporal: {
      port: config.TEMPORAL_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      dbFile: path.join(stateDir, 'temporal', 'temporal.db'),
      namespace: config.TEMPORAL_NAMESPACE,
    },
    prometheus: {
      port: config.PROMETHEUS_PORT,
      binary: config.PROMETHEUS_BIN,
      scrapeTargets: {
        'marketlake-producer': [`127.0.0.1:${config.PRODUCER_METRICS_PORT}`],
        'marketlake-stream': [`127.0.0.1:${config.STREAM_METRICS_PORT}`],
        'marketlake-worker': [`127.0.0.1:${config.WORKER_METRICS_PORT}`],
        'marketlake-api': [`127.0.0.1:${config.API_PORT}`],
        temporal: [`127.0.0.1:${temporalMetricsPort(config.TEMPORAL_PORT)}`],
      },
    },
  };
}
