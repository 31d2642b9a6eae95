/**
 * Per-client rate limit: a token bucket per known API key, or per client address (requests with
 * no key or a key the server does not know: rotating made-up keys must not buy new buckets).
 * API_RATE_LIMIT_PER_MINUTE requests a minute, bursts up to that many; beyond, 429 with
 * Retry-After. Every /v1 answer says where the client stands (IETF RateLimit header fields):
 * `RateLimit-Policy: <limit>;w=60`, `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
 * (seconds until the bucket is full again).
 *
 * The buckets live in this process's memory: right for the one API process marketlake runs (no
 * shared store to keep up, no request waiting on one). Behind a load balancer with N API
 * processes a client gets up to N times the limit; a shared limit then belongs in the proxy.
 * Memory is bounded: buckets are kept in least-recently-used order, a bucket idle long enough to
 * be full again is dropped (dropping it changes nothing), and beyond API_RATE_LIMIT_MAX_KEYS the
 * least recently used buckets go first.
 */
import type { MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { ApiConfig } from '../config.ts';
import type { ApiEnv } from '../deps.ts';
import { RateLimitedProblem } from '../problem.ts';
import { isKnownKey, presentedKey } from './auth.ts';

interface Bucket {
  tokens: number;
  at: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** Whole requests left after this one. */
  readonly remaining: number;
  /** Seconds until the bucket is full again. */
  readonly resetSeconds: number;
  /** Seconds until the next request is allowed (0 when allowed). */
  readonly retryAfterSeconds: number;
}

/** Token buckets keyed by client, in least-recently-used order (a Map keeps insertion order). */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  /** Time for an empty bucket to fill up: a bucket idle this long is full. */
  private readonly fillMs: number;

  constructor(
    readonly perMinute: number,
    readonly maxKeys: number,
  ) {
    this.perMs = perMinute / 60_000;
    this.fillMs = 60_000;
  }

  get size(): number {
    return this.buckets.size;
  }

  take(client: string, now: number): RateDecision {
    const held = this.buckets.get(client);
    const b = held ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    // Most recently used last.
    if (held) this.buckets.delete(client);
    this.buckets.set(client, b);
    this.evict(now);
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    return {
      allowed,
      remaining: Math.floor(b.tokens),
      resetSeconds: Math.ceil((this.perMinute - b.tokens) / this.perMs / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000)),
    };
  }

  /** Drops the least recently used buckets that are full again, and any beyond maxKeys. */
  private evict(now: number): void {
    for (const [key, b] of this.buckets) {
      if (this.buckets.size > this.maxKeys || now - b.at >= this.fillMs) this.buckets.delete(key);
      else break;
    }
  }
}

export function rateLimit(config: Pick<ApiConfig, 'API_RATE_LIMIT_PER_MINUTE' | 'API_RATE_LIMIT_MAX_KEYS' | 'API_KEYS' | 'API_READ_KEYS'>, now: () => number = Date.now): MiddlewareHandler<ApiEnv> {
  const perMinute = config.API_RATE_LIMIT_PER_MINUTE;
  const limiter = new RateLimiter(perMinute, config.API_RATE_LIMIT_MAX_KEYS);
  return async (c, next) => {
    if (perMinute <= 0) return next();
    const key = presentedKey((n) => c.req.header(n));
    const decision = limiter.take(key && isKnownKey(key, config) ? `key:${key}` : `addr:${clientAddress(c)}`, now());
    c.header('RateLimit-Policy', `${perMinute};w=60`);
    c.header('RateLimit-Limit', String(perMinute));
    c.header('RateLimit-Remaining', String(decision.remaining));
    c.header('RateLimit-Reset', String(decision.resetSeconds));
    if (!decision.allowed) throw new RateLimitedProblem(decision.retryAfterSeconds, perMinute);
    return next();
  };
}

function clientAddress(c: Parameters<MiddlewareHandler<ApiEnv>>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // app.request() in tests has no socket
  }
}
