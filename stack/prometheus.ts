/**
 * Prometheus from Debian's package (or any `prometheus` on PATH), scraping every service's
 * /metrics. The scrape configuration is prometheus/prometheus.yml (the one docker compose mounts)
 * with its container host names rewritten to the local stack's loopback addresses and ports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { StackSettings } from './settings.ts';
import { notRunningStatus, type ComponentStatus, type PortUse, type StackComponent } from './component.ts';
import { httpOk, waitUntil } from './net.ts';
import { runningPid, startDetached, stopProcess, tailFile } from './processes.ts';
import { MissingPrerequisiteError, which, type ProgressSink } from './tools.ts';

export const PROMETHEUS_CONFIG = fileURLToPath(new URL('../prometheus/prometheus.yml', import.meta.url));

interface ScrapeConfig {
  job_name: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  [key: string]: unknown;
}

/** Rewrites the compose configuration for the local stack: loopback targets, rule files beside it. */
export function renderLocalPrometheusConfig(settings: StackSettings): string {
  const doc = YAML.parse(fs.readFileSync(PROMETHEUS_CONFIG, 'utf8')) as { global?: Record<string, unknown>; scrape_configs: ScrapeConfig[]; rule_files?: string[]; [k: string]: unknown };
  if (settings.prometheus.scrapeInterval) doc.global = { ...doc.global, scrape_interval: settings.prometheus.scrapeInterval, evaluation_interval: settings.prometheus.scrapeInterval };
  const configDir = path.dirname(PROMETHEUS_CONFIG);
  doc.rule_files = (doc.rule_files ?? []).map((f) => path.resolve(configDir, f));
  for (const job of doc.scrape_configs) {
    const local = job.job_name === 'prometheus' ? [`127.0.0.1:${settings.prometheus.port}`] : settings.prometheus.scrapeTargets[job.job_name];
    if (local && job.static_configs) job.static_configs = [{ ...job.static_configs[0], targets: [...local] }];
  }
  return YAML.stringify(doc);
}

export class PrometheusComponent implements StackComponent {
  readonly name = 'Prometheus';
  /** Development runs without it (the services still serve /metrics): see Stack.checkPrerequisites. */
  readonly optional = true;
  private readonly dir: string;

  constructor(private readonly settings: StackSettings) {
    this.dir = path.join(settings.stateDir, 'prometheus');
  }

  get ports(): PortUse[] {
    return [{ port: this.settings.prometheus.port, role: 'web', envVar: 'PROMETHEUS_PORT' }];
  }
  get url(): string {
    return `http://127.0.0.1:${this.settings.prometheus.port}`;
  }
  get logFile(): string {
    return path.join(this.dir, 'prometheus.log');
  }
  private get pidFile(): string {
    return path.join(this.dir, 'prometheus.pid');
  }

  private binary(): string {
    const configured = this.settings.prometheus.binary;
    const found = configured
      ? fs.existsSync(configured) ? configured : undefined
      : (which('prometheus') ?? (fs.existsSync('/usr/bin/prometheus') ? '/usr/bin/prometheus' : undefined));
    if (!found) {
      throw new MissingPrerequisiteError(
        configured ? `prometheus (PROMETHEUS_BIN=${configured})` : 'prometheus',
        'to scrape the services\' metrics',
        'To add it: apt-get install prometheus (Debian), or put a prometheus binary on PATH or in PROMETHEUS_BIN, then run `marketlake stack up` again.',
      );
    }
    return found;
  }

  checkPrerequisites(): void {
    this.binary();
  }

  /**
   * Debian's `prometheus` package starts a system Prometheus on 9090 (where its service policy
   * allows): when one answers on our port, say so, and how to free it.
   */
  async describeForeign(port: number): Promise<string | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/status/buildinfo`, { signal: AbortSignal.timeout(1500) });
      const body = (await res.json()) as { data?: { version?: string } };
      if (!body.data?.version) return undefined;
      return `it answers as Prometheus ${body.data.version}, probably the system service Debian's prometheus package starts: \`sudo systemctl disable --now prometheus\` stops it`;
    } catch {
      return undefined;
    }
  }

  async provision(_progress: ProgressSink): Promise<void> {
    this.binary();
  }

  isRunning(): boolean {
    return runningPid(this.pidFile) !== undefined;
  }

  async start(): Promise<'started' | 'already-running'> {
    if (runningPid(this.pidFile) !== undefined) return 'already-running';
    const binary = this.binary();
    fs.mkdirSync(path.join(this.dir, 'data'), { recursive: true });
    const config = path.join(this.dir, 'prometheus.yml');
    fs.writeFileSync(config, renderLocalPrometheusConfig(this.settings));
    const pid = startDetached({
      name: 'prometheus',
      command: binary,
      args: [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.settings.prometheus.port}`,
        '--web.enable-lifecycle',
        '--storage.tsdb.retention.time=15d',
      ],
      logFile: this.logFile,
      pidFile: this.pidFile,
    });
    await waitUntil('Prometheus', () => httpOk(`${this.url}/-/ready`), {
      timeoutMs: 30_000,
      abortIf: () => (runningPid(this.pidFile) === pid ? undefined : `prometheus exited on start; log tail:\n${tailFile(this.logFile)}`),
    });
    return 'started';
  }

  async status(): Promise<ComponentStatus[]> {
    const pid = runningPid(this.pidFile);
    if (pid === undefined) {
      return [await notRunningStatus(this.name, this.url, this.settings.prometheus.port)];
    }
    const up = await httpOk(`${this.url}/-/ready`).catch(() => false);
    return [{ name: this.name, address: this.url, state: up ? 'up' : 'starting', pid }];
  }

  stop(): Promise<boolean> {
    return stopProcess(this.pidFile, 10_000);
  }
}
