/**
 * Per-key rate limit (a token bucket per API key, or per client address without a key):
 * API_RATE_LIMIT_PER_MINUTE requests a minute with bursts up to that many; 429 with Retry-After
 * beyond. RateLimit-* headers tell clients where they stand.
 */
import type { MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { ApiEnv } from '../deps.ts';
import { RateLimitedProblem } from '../problem.ts';
import { presentedKey } from './auth.ts';

interface Bucket {
  tokens: number;
  at: number;
}

export function rateLimit(perMinute: number, now: () => number = Date.now): MiddlewareHandler<ApiEnv> {
  const buckets = new Map<string, Bucket>();
  const perMs = perMinute / 60_000;
  return async (c, next) => {
    if (perMinute <= 0) return next();
    const key = presentedKey((n) => c.req.header(n));
    let client: string;
    if (key) client = `key:${key}`;
    else {
      try {
        client = `addr:${getConnInfo(c).remote.address ?? 'unknown'}`;
      } catch {
        client = 'addr:unknown'; // app.request() in tests has no socket
      }
    }
    const t = now();
    const b = buckets.get(client) ?? { tokens: perMinute, at: t };
    b.tokens = Math.min(perMinute, b.tokens + (t - b.at) * perMs);
    b.at = t;
    buckets.set(client, b);
    if (buckets.size > 100_000) buckets.clear(); // bounded memory under address churn
    c.header('RateLimit-Limit', String(perMinute));
    if (b.tokens < 1) {
      c.header('RateLimit-Remaining', '0');
      throw new RateLimitedProblem(Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)));
    }
    b.tokens -= 1;
    c.header('RateLimit-Remaining', String(Math.floor(b.tokens)));
    return next();
  };
}
