/**
 * The settings every HTTP poller shares (poll interval, request timeout, backoff, circuit breaker),
 * read from the environment under its source's prefix (`COINGECKO_`, `FEARGREED_`, `NEWS_`...), so
 * each source documents and validates them the same way and only its defaults differ.
 */
import { z } from 'zod';
import type { PollerOptions } from './poller.ts';

/** Milliseconds and counts alike: positive integers. */
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

type Setting = 'INTERVAL_MS' | 'TIMEOUT_MS' | 'BACKOFF_INITIAL_MS' | 'BACKOFF_MAX_MS' | 'BREAKER_FAILURES' | 'BREAKER_HALF_OPEN_MS';
export type PollerEnvKey<P extends string> = `${P}_${Setting}`;
export type PollerEnvShape<P extends string> = Record<PollerEnvKey<P>, ReturnType<typeof positiveInt>>;
export type PollerEnv<P extends string> = Record<PollerEnvKey<P>, number>;

export interface PollerEnvDefaults {
  /** Between two polls when all is well. */
  readonly intervalMs: number;
  /** One request's limit. */
  readonly timeoutMs: number;
  /** First and longest wait of the jittered backoff after a failure. */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** Consecutive failures that open the circuit (default 5), and how long it stays open before a trial. */
  readonly breakerFailures?: number;
  readonly breakerHalfOpenMs: number;
}

/** The zod fields `<P>_INTERVAL_MS`, `_TIMEOUT_MS`, `_BACKOFF_INITIAL_MS`, `_BACKOFF_MAX_MS`, `_BREAKER_FAILURES`, `_BREAKER_HALF_OPEN_MS`. */
export function pollerEnvShape<P extends string>(prefix: P, d: PollerEnvDefaults): PollerEnvShape<P> {
  const shape: Record<string, ReturnType<typeof positiveInt>> = {
    [`${prefix}_INTERVAL_MS`]: positiveInt(d.intervalMs),
    [`${prefix}_TIMEOUT_MS`]: positiveInt(d.timeoutMs),
    [`${prefix}_BACKOFF_INITIAL_MS`]: positiveInt(d.backoffInitialMs),
    [`${prefix}_BACKOFF_MAX_MS`]: positiveInt(d.backoffMaxMs),
    [`${prefix}_BREAKER_FAILURES`]: positiveInt(d.breakerFailures ?? 5),
    [`${prefix}_BREAKER_HALF_OPEN_MS`]: positiveInt(d.breakerHalfOpenMs),
  };
  return shape as PollerEnvShape<P>;
}

/** A refinement for the object schema: the backoff's longest wait is not shorter than its first. */
export function backoffOrdered<P extends string>(prefix: P): [(c: PollerEnv<P>) => boolean, { message: string; path: string[] }] {
  return [
    (c) => c[`${prefix}_BACKOFF_MAX_MS`] >= c[`${prefix}_BACKOFF_INITIAL_MS`],
    { message: `${prefix}_BACKOFF_MAX_MS must be >= ${prefix}_BACKOFF_INITIAL_MS`, path: [`${prefix}_BACKOFF_MAX_MS`] },
  ];
}

/** The Poller's interval, backoff and breaker from the parsed settings. */
export function pollerPolicy<P extends string>(prefix: P, c: PollerEnv<P>): Pick<PollerOptions, 'intervalMs' | 'backoff' | 'breaker'> {
  return {
    intervalMs: c[`${prefix}_INTERVAL_MS`],
    backoff: { initialMs: c[`${prefix}_BACKOFF_INITIAL_MS`], maxMs: c[`${prefix}_BACKOFF_MAX_MS`] },
    breaker: { consecutiveFailures: c[`${prefix}_BREAKER_FAILURES`], halfOpenAfterMs: c[`${prefix}_BREAKER_HALF_OPEN_MS`] },
  };
}
