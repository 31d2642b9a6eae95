/**
 * Binance allows at most 300 websocket connection attempts per 5 minutes per IP. A sliding
 * window shared by every connection of the process keeps reconnect storms (e.g. a flapping
 * network with many symbol batches) under that limit: an attempt beyond it waits.
 */
import { sleep } from '../polling/sleep.ts';

export class ConnectAttemptLimiter {
  private readonly attempts: number[] = [];

  constructor(
    readonly maxAttempts: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (maxAttempts < 1 || windowMs <= 0) throw new RangeError('maxAttempts >= 1 and windowMs > 0');
  }

  /** ms until another attempt is allowed (0: now). */
  waitMs(): number {
    const now = this.now();
    while (this.attempts.length > 0 && this.attempts[0] <= now - this.windowMs) this.attempts.shift();
    return this.attempts.length < this.maxAttempts ? 0 : this.attempts[0] + this.windowMs - now;
  }

  /** Waits for a free slot and takes it; false when the signal aborted first. */
  async acquire(signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      const wait = this.waitMs();
      if (wait === 0) {
        this.attempts.push(this.now());
        return true;
      }
      if (!(await sleep(wait, signal))) return false;
    }
  }
}
