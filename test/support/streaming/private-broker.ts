/**
 * A Kafka broker of a test's own (the project's stack code, in a temporary state directory), for
 * tests that kill it: the run's shared broker must stay up for every other test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { loadBaseConfig } from '../../../common/config.ts';
import { KafkaComponent } from '../../../stack/kafka.ts';
import { freePort, freePortRun } from '../../../stack/net.ts';
import { readPid } from '../../../stack/processes.ts';
import type { StackSettings } from '../../../stack/settings.ts';

export interface PrivateBroker {
  readonly bootstrap: string;
  readonly kafka: Kafka;
  /** Starts it (again, on the same ports and data). */
  start(): Promise<void>;
  /** kill -9. */
  kill(): void;
  /** Stops it and removes its state. */
  destroy(): Promise<void>;
}

export async function startPrivateBroker(): Promise<PrivateBroker> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-private-broker-'));
  const settings: StackSettings = {
    stateDir,
    cacheDir: path.resolve(loadBaseConfig().MARKETLAKE_CACHE_DIR),
    kafka: { port: await freePort(), controllerPort: await freePort(), partitions: 1, tradesPartitions: 1, heapMb: 384 },
    temporal: { port: await freePortRun(1), uiPort: await freePort(), dbFile: undefined, namespace: 'default' },
    prometheus: { port: await freePort(), scrapeTargets: {} },
  };
  const component = new KafkaComponent(settings);
  await component.start();
  const pidFile = path.join(stateDir, 'kafka', 'kafka.pid');
  return {
    bootstrap: component.bootstrap,
    kafka: new Kafka({ clientId: 'private-broker-test', brokers: [component.bootstrap], logLevel: logLevel.NOTHING }),
    async start() {
      await component.start();
    },
    kill() {
      const pid = readPid(pidFile);
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    },
    async destroy() {
      await component.stop().catch(() => undefined);
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
