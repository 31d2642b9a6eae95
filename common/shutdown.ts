/**
 * One graceful shutdown for every entry point: components are registered in the order they
 * start and stopped in reverse (stop taking input before closing what it writes to), each within
 * a bounded time, on the first SIGINT or SIGTERM. A second signal exits at once.
 */
import type { Logger } from './logger.ts';

export interface Stoppable {
  readonly name: string;
  stop(): Promise<void> | void;
}

export class Shutdown {
  private readonly components: Stoppable[] = [];
  private stopping: Promise<void> | undefined;
  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>();

  constructor(
    private readonly logger: Logger,
    private readonly opts: { perComponentTimeoutMs?: number; exit?: boolean } = {},
  ) {}

  /** Registers a component; call it right after the component has started. */
  add(name: string, stop: () => Promise<void> | void): this {
    this.components.push({ name, stop });
    return this;
  }

  /** Installs the SIGINT/SIGTERM handlers. */
  listen(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): this {
    for (const signal of signals) {
      const handler = () => {
        if (this.stopping) {
          this.logger.warn({ signal }, 'second signal: exiting now');
          process.exit(130);
        }
        this.logger.info({ signal }, 'shutting down');
        void this.stopAll().then(() => {
          if (this.opts.exit ?? true) process.exit(0);
        });
      };
      this.signalHandlers.set(signal, handler);
      process.on(signal, handler);
    }
    return this;
  }

  /** Stops every component in reverse start order. Safe to call more than once. */
  stopAll(): Promise<void> {
    this.stopping ??= this.run();
    return this.stopping;
  }

  /**
   * Resolves once everything has stopped. Holds a timer so that a process whose work is all in
   * child processes or sockets does not exit early (Node exits when nothing keeps the loop alive).
   */
  async untilStopped(): Promise<void> {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      while (!this.stopping) await new Promise((r) => setTimeout(r, 200));
      await this.stopping;
    } finally {
      clearInterval(keepAlive);
    }
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  private async run(): Promise<void> {
    const timeoutMs = this.opts.perComponentTimeoutMs ?? 15_000;
    for (const component of [...this.components].reverse()) {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(() => component.stop()),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not stop within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        this.logger.info({ component: component.name, ms: Date.now() - started }, 'stopped');
      } catch (err) {
        this.logger.error({ component: component.name, err: (err as Error).message }, 'stop failed');
      } finally {
        clearTimeout(timer);
      }
    }
    for (const [signal, handler] of this.signalHandlers) process.off(signal, handler);
  }
}
