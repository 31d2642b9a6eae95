/**
 * The Temporal dev server (`temporal server start-dev`) with its Web UI. The `temporal` binary
 * comes from PATH, or is built once with `go install` from a pinned CLI release and cached.
 * v1.5.1 is pinned because its go.mod has no replace directive (later tags do, and `go install
 * pkg@version` refuses those). Workflow state lives in a SQLite file, so it survives restarts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { StackSettings } from './settings.ts';
import { notRunningStatus, type ComponentStatus, type PortUse, type StackComponent } from './component.ts';
import { httpOk, waitUntil } from './net.ts';
import { runningPid, startDetached, stopProcess, tailFile } from './processes.ts';
import { requireTool, runWithProgress, which, type ProgressSink } from './tools.ts';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
import { temporalMetricsPort } from './temporal-ports.ts';

export { TEMPORAL_CONSECUTIVE_PORTS, temporalMetricsPort } from './temporal-ports.ts';

export class TemporalComponent implements StackComponent {
  readonly name = 'Temporal';
  private readonly dir: string;

  constructor(private readonly settings: StackSettings) {
    this.dir = path.join(settings.stateDir, 'temporal');
  }

  get ports(): PortUse[] {
    const { port, uiPort } = this.settings.temporal;
    return [
      { port, role: 'frontend gRPC', envVar: 'TEMPORAL_PORT' },
      { port: uiPort, role: 'Web UI', envVar: 'TEMPORAL_UI_PORT' },
      { port: this.httpPort, role: 'HTTP API', envVar: 'TEMPORAL_PORT' },
      { port: this.metricsPort, role: 'server metrics', envVar: 'TEMPORAL_PORT' },
    ];
  }

  /** The dev server's HTTP API and metrics ports, derived so that one setting moves them all. */
  private get httpPort(): number {
    return this.settings.temporal.port + 1;
  }
  private get metricsPort(): number {
    return temporalMetricsPort(this.settings.temporal.port);
  }

  get address(): string {
    return `127.0.0.1:${this.settings.temporal.port}`;
  }
  get uiUrl(): string {
    return `http://127.0.0.1:${this.settings.temporal.uiPort}`;
  }
  get logFile(): string {
    return path.join(this.dir, 'temporal.log');
  }
  private get pidFile(): string {
    return path.join(this.dir, 'temporal.pid');
  }
  private get cachedBinary(): string {
    return path.join(this.settings.cacheDir, 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
  }

  binary(): string | undefined {
    return which('temporal') ?? (fs.existsSync(this.cachedBinary) ? this.cachedBinary : undefined);
  }

  /** Go, only while no `temporal` binary is on PATH or cached. */
  checkPrerequisites(): void {
    if (!this.binary()) this.requireGo();
  }

  private requireGo(): string {
    return requireTool('go', `to build the Temporal CLI ${TEMPORAL_CLI_VERSION} (or put a \`temporal\` binary on PATH)`, 'Install Go 1.22 or newer (Debian: apt-get install golang).');
  }

  async provision(progress: ProgressSink): Promise<void> {
    if (this.binary()) return;
    const go = this.requireGo();
    const gobin = path.dirname(this.cachedBinary);
    fs.mkdirSync(gobin, { recursive: true });
    await runWithProgress(go, ['install', '-x', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: { GOBIN: gobin, GOFLAGS: '-mod=mod' },
      // `go: downloading` per module, then one line per package compiled (-x prints the compile steps).
      stepPattern: /^(go: downloading|# )|\/compile /,
      progress,
      phase: `building temporal ${TEMPORAL_CLI_VERSION} with go install`,
    });
    if (!fs.existsSync(this.cachedBinary)) throw new Error(`go install finished but ${this.cachedBinary} is missing`);
  }

  isRunning(): boolean {
    return runningPid(this.pidFile) !== undefined;
  }

  async start(): Promise<'started' | 'already-running'> {
    if (runningPid(this.pidFile) !== undefined) return 'already-running';
    const binary = this.binary();
    if (!binary) throw new Error('Temporal CLI is not provisioned yet: run `marketlake stack up`');
    fs.mkdirSync(this.dir, { recursive: true });
    const { port, uiPort, dbFile, namespace } = this.settings.temporal;
    const args = [
      'server', 'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--ui-port', String(uiPort),
      '--http-port', String(this.httpPort),
      '--metrics-port', String(this.metricsPort),
      '--namespace', namespace,
      '--log-format', 'json',
      '--log-level', 'warn',
    ];
    if (dbFile) {
      fs.mkdirSync(path.dirname(dbFile), { recursive: true });
      args.push('--db-filename', dbFile);
    }
    const pid = startDetached({ name: 'temporal', command: binary, args, logFile: this.logFile, pidFile: this.pidFile });
    const abortIf = () => (runningPid(this.pidFile) === pid ? undefined : `the dev server exited on start; log tail:\n${tailFile(this.logFile)}`);
    await waitUntil('Temporal', () => this.answers(), { timeoutMs: 60_000, intervalMs: 300, abortIf });
    await waitUntil('Temporal UI', () => httpOk(this.uiUrl), { timeoutMs: 30_000, intervalMs: 300, abortIf });
    return 'started';
  }

  /** Readiness: the frontend answers GetSystemInfo over gRPC and the namespace is registered. */
  async answers(): Promise<boolean> {
    const connection = await Connection.connect({ address: this.address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      await connection.workflowService.describeNamespace({ namespace: this.settings.temporal.namespace });
      return true;
    } finally {
      await connection.close();
    }
  }

  async status(): Promise<ComponentStatus[]> {
    const pid = runningPid(this.pidFile);
    if (pid === undefined) {
      return [
        await notRunningStatus(this.name, this.address, this.settings.temporal.port),
        { name: 'Temporal UI', address: this.uiUrl, state: 'down' },
      ];
    }
    const [server, ui] = await Promise.all([this.answers().catch(() => false), httpOk(this.uiUrl).catch(() => false)]);
    return [
      { name: this.name, address: this.address, state: server ? 'up' : 'starting', pid },
      { name: 'Temporal UI', address: this.uiUrl, state: ui ? 'up' : 'starting', pid },
    ];
  }

  stop(): Promise<boolean> {
    return stopProcess(this.pidFile, 20_000);
  }
}
