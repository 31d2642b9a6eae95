/**
 * Starts one real Kafka broker (KRaft) and one Temporal dev server for the test run, on free
 * ports in a throw-away state directory, and stops them at the end. Tests reach them through
 * `inject('kafkaBrokers')` / `inject('temporalAddress')` (see test/infra.ts) or the
 * KAFKA_BROKERS and TEMPORAL_ADDRESS variables, which forked test workers inherit.
 *
 * At the end it also checks that the run left no process behind (test/stray-processes.ts): a
 * process any test started that is still alive fails the run, named, and is killed.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadBaseConfig } from '../common/config.ts';
import { freePort, freePortRun } from '../stack/net.ts';
import { TEMPORAL_CONSECUTIVE_PORTS } from '../stack/temporal.ts';
import { Stack } from '../stack/stack.ts';
import type { StackSettings } from '../stack/settings.ts';
import { TEST_RUN_MARKER, reapStrayProcesses } from './stray-processes.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    temporalAddress: string;
    /** The dev server's Web UI (its Start Workflow form is enabled by default). */
    temporalUiUrl: string;
    infraStateDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = loadBaseConfig();
  // Inherited by every process the run starts, so that teardown can find the ones left behind.
  const runId = randomUUID();
  process.env[TEST_RUN_MARKER] = runId;
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
  prioritiseSharedServers(stateDir);
  process.env.KAFKA_BROKERS = kafkaBrokers;
  process.env.TEMPORAL_ADDRESS = temporalAddress;
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('temporalAddress', temporalAddress);
  project.provide('temporalUiUrl', stack.temporal.uiUrl);
  project.provide('infraStateDir', stateDir);
  return async () => {
    await stack.down();
    fs.rmSync(stateDir, { recursive: true, force: true });
    const strays = await reapStrayProcesses(runId);
    if (strays.length > 0) {
      const list = strays.map((s) => `  pid ${s.pid} (parent ${s.ppid}): ${s.command}`).join('\n');
      throw new Error(`the test run left ${strays.length} process(es) behind (now killed):\n${list}`);
    }
  };
}

/**
 * The broker and the dev server serve every test file; on 2 cores a test that saturates both
 * (a year's backfill, two stream processes) starved the Temporal dev server until its shard lease
 * lapsed ("shard status unknown") and every workflow test after it failed. They get a higher CPU
 * priority than the tests' own processes. On Linux a nice value is per thread: every thread of
 * each server is reniced (threads started later inherit it from their creator). Without the
 * right to raise priority (not root) nothing changes.
 */
function prioritiseSharedServers(stateDir: string): void {
  for (const name of ['temporal', 'kafka']) {
    const pid = Number.parseInt(fs.readFileSync(path.join(stateDir, name, `${name}.pid`), 'utf8'), 10);
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      tasks = [String(pid)];
    }
    try {
      for (const tid of tasks) os.setPriority(Number(tid), -10);
      console.log(`[test infra] ${name} (pid ${pid}) runs at nice -10`);
    } catch (err) {
      console.log(`[test infra] ${name} keeps its priority (${(err as Error).message})`);
    }
  }
}
