import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

describe('RateLimiter (token bucket per client)', () => {
  it('allows a burst of the limit, then refills at limit/60 per second', () => {
    const limiter = new RateLimiter(60, 1000);
    for (let i = 0; i < 60; i++) expect(limiter.take('a', 0).allowed).toBe(true);
    const refused = limiter.take('a', 0);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1, resetSeconds: 60 });
    expect(limiter.take('a', 500).allowed).toBe(false);
    expect(limiter.take('a', 1000)).toMatchObject({ allowed: true, remaining: 0 });
    // Another client has its own bucket.
    expect(limiter.take('b', 1000)).toMatchObject({ allowed: true, remaining: 59, resetSeconds: 1 });
  });

  it('says when the next request will pass at a slow rate', () => {
    const limiter = new RateLimiter(2, 1000);
    limiter.take('a', 0);
    limiter.take('a', 0);
    expect(limiter.take('a', 0)).toMatchObject({ allowed: false, retryAfterSeconds: 30, resetSeconds: 60 });
  });

  it('drops buckets idle long enough to be full again, so memory follows the active clients', () => {
    const limiter = new RateLimiter(60, 1000);
    for (let i = 0; i < 500; i++) limiter.take(`addr:${i}`, 0);
    expect(limiter.size).toBe(500);
    limiter.take('addr:late', 30_000);
    expect(limiter.size).toBe(501);
    limiter.take('addr:later', 60_000);
    expect(limiter.size).toBe(2);
  });

  it('never holds more than maxKeys buckets: the least recently used go first', () => {
    const limiter = new RateLimiter(60, 100);
    for (let i = 0; i < 10_000; i++) limiter.take(`addr:${i}`, i);
    expect(limiter.size).toBe(100);
    // A client that keeps coming back stays (most recently used).
    const busy = new RateLimiter(3, 2);
    busy.take('busy', 0);
    busy.take('busy', 0);
    busy.take('x', 1);
    busy.take('busy', 2);
    busy.take('y', 3);
    expect(busy.take('busy', 4)).toMatchObject({ allowed: false });
  });
});
