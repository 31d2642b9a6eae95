import { describe, expect, it } from 'vitest';
import { ConnectAttemptLimiter } from './ws-connect-limiter.ts';

describe('ConnectAttemptLimiter', () => {
  it('allows maxAttempts per sliding window, then says how long to wait', async () => {
    let now = 1_000_000;
    const limiter = new ConnectAttemptLimiter(3, 300_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(await limiter.acquire()).toBe(true);
      now += 1_000;
    }
    expect(limiter.waitMs()).toBe(300_000 - 3_000);
    now += 300_000 - 3_000;
    expect(limiter.waitMs()).toBe(0);
  });

  it('waits for a free slot, and gives up when aborted', async () => {
    const limiter = new ConnectAttemptLimiter(1, 150);
    expect(await limiter.acquire()).toBe(true);
    const t0 = Date.now();
    expect(await limiter.acquire()).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    expect(await limiter.acquire(ac.signal)).toBe(false);
  });
});
