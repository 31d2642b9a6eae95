/**
 * A worker against the test run's real Temporal dev server, isolated per test file: its own
 * namespace (so the real queue names `marketlake` / `marketlake-backfill` can be used without two
 * files stealing each other's tasks), a throw-away lake and archive cache, and the local Binance
 * mirror (test/support/binance/binance-local-server.ts) as BINANCE_ARCHIVE_URL / BINANCE_REST_BASE_URL.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadBaseConfig } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { createMetricsRegistry } from '../../common/metrics.ts';
import { Lake, LakeQueryEngine } from '../../lake/index.ts';
import { startBinanceLocalServer, type BinanceLocalServer } from './binance/binance-local-server.ts';
import { TEMPORAL_CLI_VERSION } from '../../stack/temporal.ts';
import { loadWorkerConfig, startWorkers, type WorkerConfig, type Workers } from '../../workflows/index.ts';
import { temporalAddress } from '../infra.ts';

const run = promisify(execFile);

/** The `temporal` CLI binary the stack built (the one users and the UI's server run). */
export function temporalCli(): string {
  const cached = path.join(loadBaseConfig().MARKETLAKE_CACHE_DIR, 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
  if (!fs.existsSync(cached)) throw new Error(`the Temporal CLI is not built at ${cached}: run marketlake stack up`);
  return cached;
}

/** Runs the `temporal` CLI against the test server; returns stdout. */
export async function temporal(args: string[], namespace: string): Promise<string> {
  const { stdout } = await run(temporalCli(), [...args, '--address', temporalAddress(), '--namespace', namespace], { timeout: 60_000 });
  return stdout;
}

/** Registers a namespace and waits until the frontend and matching serve it. */
export async function createNamespace(prefix: string): Promise<string> {
  const namespace = `${prefix}-${randomUUID().slice(0, 8)}`;
  const connection = await Connection.connect({ address: temporalAddress() });
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: 86_400 as unknown as import('long').default } });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        // Listing needs the namespace in the frontend's cache; starting needs it in history's too.
        await connection.workflowService.describeNamespace({ namespace });
        await new Client({ connection, namespace }).workflow.count();
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await connection.close();
  }
  return namespace;
}

export interface WorkflowsFixture {
  readonly namespace: string;
  readonly lakeDir: string;
  readonly cacheDir: string;
  readonly lake: Lake;
  readonly binance: BinanceLocalServer;
  readonly client: Client;
  readonly config: WorkerConfig;
  /** The env a child worker process (`node bin/marketlake.js worker`) needs for the same setup. */
  readonly env: NodeJS.ProcessEnv;
  workers?: Workers;
  startWorkers(): Promise<Workers>;
  stopWorkers(): Promise<void>;
  cleanup(): Promise<void>;
  /** Rows of one SQL query over the fixture's lake, through a fresh engine (it sees the latest commits). */
  query(sql: string): Promise<Record<string, unknown>[]>;
}

let runtimeInstalled = false;
/** The SDK logs every worker state change and expected activity failure: keep test output to errors. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Installed already by another fixture in this process.
  }
}

export async function workflowsFixture(name: string, opts: { workers?: boolean; env?: NodeJS.ProcessEnv; kafkaProducer?: () => Promise<import('kafkajs').Producer> } = {}): Promise<WorkflowsFixture> {
  quietRuntime();
  const namespace = await createNamespace(name);
  const lakeDir = fs.mkdtempSync(path.join(os.tmpdir(), `ml-wf-${name}-lake-`));
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), `ml-wf-${name}-cache-`));
  const binance = await startBinanceLocalServer();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LAKE_DIR: lakeDir,
    BACKFILL_CACHE_DIR: cacheDir,
    BINANCE_ARCHIVE_URL: binance.url,
    BINANCE_REST_BASE_URL: binance.url,
    TEMPORAL_ADDRESS: temporalAddress(),
    TEMPORAL_NAMESPACE: namespace,
    WORKER_METRICS_PORT: '0',
    WORKER_GAP_REPAIR: 'false',
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  const config = loadWorkerConfig(env);
  const lake = new Lake(lakeDir);
  const connection = await Connection.connect({ address: temporalAddress() });
  const client = new Client({ connection, namespace });
  let native: NativeConnection | undefined;
  // As the worker does (workflows/main.ts): the gold builds run on one engine kept while the workers run.
  let goldEngine: LakeQueryEngine | undefined;
  const fixture: WorkflowsFixture = {
    namespace, lakeDir, cacheDir, lake, binance, client, config, env,
    async startWorkers() {
      native ??= await NativeConnection.connect({ address: temporalAddress() });
      goldEngine ??= await LakeQueryEngine.open({ lake, readOnly: false });
      fixture.workers = await startWorkers(native, { lake, config, fetch: globalThis.fetch, logger: createLogger('worker-test', 'warn'), registry: createMetricsRegistry('worker-test'), kafkaProducer: opts.kafkaProducer, goldEngine });
      return fixture.workers;
    },
    async stopWorkers() {
      await fixture.workers?.shutdown();
      fixture.workers = undefined;
      goldEngine?.close();
      goldEngine = undefined;
    },
    async query(sql: string) {
      const engine = await LakeQueryEngine.open({ lake: lakeDir });
      try {
        return (await engine.query(sql)).rows;
      } finally {
        engine.connection.closeSync();
      }
    },
    async cleanup() {
      await fixture.stopWorkers();
      await native?.close();
      await connection.close();
      await binance.close();
      fs.rmSync(lakeDir, { recursive: true, force: true });
      fs.rmSync(cacheDir, { recursive: true, force: true });
    },
  };
  if (opts.workers ?? true) await fixture.startWorkers();
  return fixture;
}

export interface ChildWorker {
  readonly pid: number;
  readonly metricsUrl: string;
  readonly output: () => string;
  /** Sends `signal` and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `node bin/marketlake.js worker` as a child process with the fixture's environment; resolves once /health is ok. */
export async function spawnWorker(fx: Pick<WorkflowsFixture, 'env'>, env: NodeJS.ProcessEnv = {}): Promise<ChildWorker> {
  const { spawn } = await import('node:child_process');
  const { freePort } = await import('../../stack/net.ts');
  const { BIN } = await import('./run-cli.ts');
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'worker'], { env: { ...fx.env, WORKER_METRICS_PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const metricsUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${metricsUrl}/health`).then((r) => r.ok && r.json().then((b: { status: string }) => b.status === 'ok'), () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker not healthy after 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    pid: child.pid!,
    metricsUrl,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
