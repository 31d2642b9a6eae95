import { describe, expect, it } from 'vitest';
import { JitteredBackoff } from './backoff.ts';
import { HttpStatusError, parseRetryAfter } from './http-errors.ts';

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    const now = Date.parse('2026-08-18T08:00:00Z');
    expect(parseRetryAfter('Tue, 18 Aug 2026 08:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 18 Aug 2026 07:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-5')).toBeUndefined();
  });

  it('treats 429 and 418 as rate limiting', () => {
    expect(new HttpStatusError('u', 429, 1000, '').isRateLimited).toBe(true);
    expect(new HttpStatusError('u', 418, undefined, '').isRateLimited).toBe(true);
    expect(new HttpStatusError('u', 500, undefined, '').isRateLimited).toBe(false);
  });
});

describe('JitteredBackoff', () => {
  it('grows within its bounds and starts over after reset', () => {
    const b = new JitteredBackoff({ initialMs: 100, maxMs: 5_000 });
    const delays = Array.from({ length: 30 }, () => b.nextDelayMs());
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(0);
    for (const d of delays) expect(d).toBeLessThanOrEqual(5_000);
    expect(Math.max(...delays.slice(10))).toBeGreaterThan(Math.max(...delays.slice(0, 2)));
    expect(b.attempts).toBe(30);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.nextDelayMs()).toBeLessThan(1_000);
    expect(() => new JitteredBackoff({ initialMs: 10, maxMs: 5 })).toThrow(RangeError);
  });
});
