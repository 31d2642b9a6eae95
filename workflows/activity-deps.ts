/** What every activity factory receives (workflows/activities.ts builds them from one of these). */
import type { Registry } from 'prom-client';
import type { Logger } from '../common/logger.ts';
import type { Lake, LakeQueryEngine } from '../lake/index.ts';
import type { WorkerConfig } from './config.ts';

export interface ActivityDeps {
  readonly lake: Lake;
  readonly config: WorkerConfig;
  /** HTTP (archives, REST); tests may wrap it. */
  readonly fetch: typeof fetch;
  readonly logger: Logger;
  /** Metrics registry of the process (common/metrics-catalog.ts factories get-or-create on it). */
  readonly registry: Registry;
  /** Kafka producer factory for activities that publish (gold alerts); absent where not needed. */
  readonly kafkaProducer?: () => Promise<import('kafkajs').Producer>;
  /**
   * The read-write engine the gold builds run on, kept by the worker from its start (an hourly
   * build then only refreshes the views of what changed instead of opening an engine and every
   * view); absent: each build opens its own.
   */
  readonly goldEngine?: LakeQueryEngine;
}
