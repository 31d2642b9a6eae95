/**
 * Jittered exponential backoff for reconnects and failed polls, on top of cockatiel's
 * decorrelated-jitter generator (so that many clients that failed together do not retry in step).
 * Stateful: each `nextDelayMs()` grows the delay until `reset()` after a success.
 */
import { ExponentialBackoff, type IBackoff } from 'cockatiel';

export interface BackoffOptions {
  /** First delay, ms. */
  readonly initialMs: number;
  /** Upper bound of every delay, ms. */
  readonly maxMs: number;
}

export class JitteredBackoff {
  private readonly factory: ExponentialBackoff<unknown>;
  private current: IBackoff<unknown> | undefined;
  private attemptsSinceReset = 0;

  constructor(readonly options: BackoffOptions) {
    if (options.initialMs <= 0 || options.maxMs < options.initialMs) {
      throw new RangeError(`backoff needs 0 < initialMs <= maxMs, got ${options.initialMs}/${options.maxMs}`);
    }
    this.factory = new ExponentialBackoff({ initialDelay: options.initialMs, maxDelay: options.maxMs });
  }

  /** The delay before the next attempt; each call moves one step up the curve. */
  nextDelayMs(): number {
    this.current = this.current ? this.current.next(undefined) : this.factory.next();
    this.attemptsSinceReset += 1;
    return Math.min(this.options.maxMs, Math.max(0, Math.round(this.current.duration)));
  }

  /** How many delays were handed out since the last success. */
  get attempts(): number {
    return this.attemptsSinceReset;
  }

  reset(): void {
    this.current = undefined;
    this.attemptsSinceReset = 0;
  }
}
