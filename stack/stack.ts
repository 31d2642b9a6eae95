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
import { MissingPrerequisiteError, MissingPrerequisitesError, consoleProgress, type ProgressSink } from './tools.ts';

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
  /** Optional components left out of this `up` (program missing or port taken), with why. */
  private readonly skipped = new Map<StackComponent, string>();

  /** Why an optional component is not running, or undefined when it runs (or was never tried). */
  skippedReason(component: StackComponent): string | undefined {
    return this.skipped.get(component);
  }

  private get active(): StackComponent[] {
    return this.components.filter((c) => !this.skipped.has(c));
  }

  private say(message: string): void {
    this.opts.onEvent?.(message);
  }

  /**
   * Checks every component's prerequisites before anything is downloaded or built: a missing JDK
   * or Go is reported at once (all missing tools in one error), not after minutes of building the
   * others. An optional component whose program is missing is left out with one line.
   */
  checkPrerequisites(): void {
    const missing: MissingPrerequisiteError[] = [];
    for (const component of this.components) {
      try {
        component.checkPrerequisites();
      } catch (err) {
        if (!(err instanceof MissingPrerequisiteError)) throw err;
        if (component.optional) this.skip(component, `not found, running without it: ${err.message}`);
        else missing.push(err);
      }
    }
    if (missing.length === 1) throw missing[0];
    if (missing.length > 1) throw new MissingPrerequisitesError(missing);
  }

  private skip(component: StackComponent, why: string): void {
    this.skipped.set(component, why);
    this.say(`${component.name}: ${why}`);
  }

  /** Downloads or builds every component that is not cached yet. Prerequisites are checked first. */
  async provision(): Promise<void> {
    this.checkPrerequisites();
    const progress = this.opts.progress ?? consoleProgress;
    for (const component of this.active) await component.provision(progress(component.name));
  }

  /** Provisions, then starts each component in order; stops what it started if a later one fails. */
  async up(): Promise<void> {
    await this.provision();
    await this.preflight();
    const started: StackComponent[] = [];
    try {
      for (const component of this.active) {
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

  /**
   * Fails before starting anything when a port a stopped component needs is taken; an optional
   * component is left out instead, with one line (e.g. Debian's system Prometheus on 9090).
   */
  async preflight(): Promise<void> {
    for (const component of this.active) {
      if (component.isRunning()) continue;
      for (const use of component.ports) {
        if (await isPortFree(use.port)) continue;
        const error = new PortInUseError(component.name, use, await component.describeForeign?.(use.port));
        if (!component.optional) throw error;
        this.skip(component, `not started: ${error.message}`);
        break;
      }
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
