/**
 * Starts one real Kafka broker (KRaft) and one Temporal dev server for the test run, on free
 * ports in a throw-away state directory, and stops them at the end. Tests reach them through
 * `inject('kafkaBrokers')` / `inject('temporalAddress')` (see test/infra.ts) or the
 * KAFKA_BROKERS and TEMPORAL_ADDRESS variables, which forked test workers inherit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadBaseConfig } from '../common/config.ts';
import { freePort, freePortRun } from '../stack/net.ts';
import { TEMPORAL_CONSECUTIVE_PORTS } from '../stack/temporal.ts';
import { Stack } from '../stack/stack.ts';
import type { StackSettings } from '../stack/settings.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    temporalAddress: string;
    infraStateDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = loadBaseConfig();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marketlake-test-'));
  const settings: StackSettings = {
    stateDir,
    cacheDir: path.resolve(base.MARKETLAKE_CACHE_DIR),
    kafka: { port: await freePort(), controllerPort: await freePort(), partitions: 3, tradesPartitions: 3, heapMb: 768 },
    temporal: { port: await freePortRun(TEMPORAL_CONSECUTIVE_PORTS), uiPort: await freePort(), dbFile: undefined, namespace: 'default' },
    prometheus: { port: await freePort(), scrapeTargets: {} },
  };
  const stack = new Stack(settings, { only: ['kafka', 'temporal'], onEvent: (m) => console.log(`[test infra] ${m}`) });
  const t0 = Date.now();
  await stack.up();
  const kafkaBrokers = stack.kafka.bootstrap;
  const temporalAddress = stack.temporal.address;
  console.log(`[test infra] Kafka ${kafkaBrokers}, Temporal ${temporalAddress} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.env.KAFKA_BROKERS = kafkaBrokers;
  process.env.TEMPORAL_ADDRESS = temporalAddress;
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('temporalAddress', temporalAddress);
  project.provide('infraStateDir', stateDir);
  return async () => {
    await stack.down();
    fs.rmSync(stateDir, { recursive: true, force: true });
  };
}
