/**
 * The local infrastructure as one unit: provision what is missing, start what is not running
 * (in dependency order), report status, and stop everything this stack started.
 */
import type { StackSettings } from './settings.ts';
import { PortInUseError, type ComponentStatus, type StackComponent } from './component.ts';
import { isPortFree } from './net.ts';
import { KafkaComponent } from './kafka.ts';
import { TemporalComponent } from './temporal.ts';
import { PrometheusComponent } from './prometheus.ts';
import { consoleProgress, type ProgressSink } from './tools.ts';

export interface StackOptions {
  /** Which components to run; all three by default. */
  readonly only?: readonly ('kafka' | 'temporal' | 'prometheus')[];
  readonly progress?: (label: string) => ProgressSink;
  readonly onEvent?: (message: string) => void;
}

export class Stack {
  readonly kafka: KafkaComponent;
  readonly temporal: TemporalComponent;
  readonly prometheus: PrometheusComponent;
  readonly components: readonly StackComponent[];

  constructor(readonly settings: StackSettings, private readonly opts: StackOptions = {}) {
    this.kafka = new KafkaComponent(settings);
    this.temporal = new TemporalComponent(settings);
    this.prometheus = new PrometheusComponent(settings);
    const all = { kafka: this.kafka, temporal: this.temporal, prometheus: this.prometheus };
    this.components = (opts.only ?? (['kafka', 'temporal', 'prometheus'] as const)).map((k) => all[k]);
  }

  private cancelled = false;

  private say(message: string): void {
    this.opts.onEvent?.(message);
  }

  /** Downloads or builds every component that is not cached yet. Prerequisites are checked first. */
  async provision(): Promise<void> {
    const progress = this.opts.progress ?? consoleProgress;
    for (const component of this.components) await component.provision(progress(component.name));
  }

  /** Provisions, then starts each component in order; stops what it started if a later one fails. */
  async up(): Promise<void> {
    await this.provision();
    await this.preflight();
    const started: StackComponent[] = [];
    try {
      for (const component of this.components) {
        if (this.cancelled) throw new Error('stack up was interrupted');
        const t0 = Date.now();
        const result = await component.start();
        if (result === 'started') started.push(component);
        this.say(`${component.name}: ${result === 'started' ? `started in ${((Date.now() - t0) / 1000).toFixed(1)} s` : 'already running'} (log: ${component.logFile})`);
      }
    } catch (err) {
      for (const component of started.reverse()) await component.stop().catch(() => undefined);
      throw err;
    }
  }

  /** Fails before starting anything when a port a stopped component needs is taken. */
  async preflight(): Promise<void> {
    for (const component of this.components) {
      if (component.isRunning()) continue;
      for (const use of component.ports) if (!(await isPortFree(use.port))) throw new PortInUseError(component.name, use);
    }
  }

  async status(): Promise<ComponentStatus[]> {
    const rows = await Promise.all(this.components.map((c) => c.status()));
    return rows.flat();
  }

  /** Stops in reverse start order. Also interrupts an `up` in progress: it starts nothing more. */
  async down(): Promise<void> {
    this.cancelled = true;
    for (const component of [...this.components].reverse()) {
      const stopped = await component.stop();
      this.say(`${component.name}: ${stopped ? 'stopped' : 'was not running'}`);
    }
  }
}

export function formatStatusTable(rows: readonly ComponentStatus[]): string {
  const header = ['component', 'address', 'state', 'pid'];
  const body = rows.map((r) => [r.name, r.address, r.state + (r.detail ? ` (${r.detail})` : ''), r.pid ? String(r.pid) : '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}
