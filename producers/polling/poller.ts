/**
 * The loop every HTTP poller runs: poll, wait the interval, poll again, forever until the signal
 * aborts. Failures wait a jittered exponential backoff instead of the interval; a 429/418 waits at
 * least the server's Retry-After; a cockatiel circuit breaker stops calling an API that keeps
 * failing and lets one trial call through after `halfOpenAfterMs`. Rate limiting does not count
 * towards the breaker: the API is up, it only asks us to slow down.
 */
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import type { Registry } from 'prom-client';
import type { Logger } from '../../common/logger.ts';
import type { HealthReport } from '../../common/observability-server.ts';
import { JitteredBackoff, type BackoffOptions } from './backoff.ts';
import { HttpStatusError, HttpTimeoutError } from './http-errors.ts';
import { counter, gauge, histogram } from './registry-metrics.ts';
import { sleep } from './sleep.ts';

export interface PollResult {
  /** Items published because they were new or changed. */
  readonly published: number;
  /** Items seen again unchanged, so not published. */
  readonly unchanged: number;
  /** Poll sooner or later than the interval this once (e.g. the API says when it updates). */
  readonly nextPollInMs?: number;
}

export interface PollerOptions {
  /** Label for logs and metrics, e.g. `coingecko-markets`. */
  readonly name: string;
  readonly intervalMs: number;
  readonly backoff: BackoffOptions;
  readonly breaker: { readonly consecutiveFailures: number; readonly halfOpenAfterMs: number };
  readonly poll: (signal: AbortSignal) => Promise<PollResult>;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly signal: AbortSignal;
}

type Outcome = 'ok' | 'error' | 'timeout' | 'rate_limited' | 'circuit_open';

function pollerMetrics(registry: Registry) {
  return {
    polls: counter(registry, { name: 'marketlake_poll_total', help: 'HTTP polls by source and outcome', labelNames: ['source', 'outcome'] }),
    duration: histogram(registry, {
      name: 'marketlake_poll_duration_seconds',
      help: 'Duration of successful and failed HTTP polls',
      labelNames: ['source'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    items: counter(registry, {
      name: 'marketlake_poll_items_total',
      help: 'Items a poll returned, by whether they were new (published) or unchanged (skipped)',
      labelNames: ['source', 'result'],
    }),
    circuit: gauge(registry, {
      name: 'marketlake_poll_circuit_state',
      help: 'Circuit breaker state per poller: 0 closed, 1 open, 2 half-open',
      labelNames: ['source'],
    }),
    lastSuccess: gauge(registry, {
      name: 'marketlake_poll_last_success_timestamp_seconds',
      help: 'Unix time of the last successful poll',
      labelNames: ['source'],
    }),
  };
}

export class Poller {
  private readonly metrics: ReturnType<typeof pollerMetrics>;
  private readonly backoff: JitteredBackoff;
  private readonly breaker;
  private consecutiveFailures = 0;
  private lastSuccessAt: number | undefined;
  private lastError: string | undefined;

  constructor(private readonly opts: PollerOptions) {
    this.metrics = pollerMetrics(opts.registry);
    this.backoff = new JitteredBackoff(opts.backoff);
    this.breaker = circuitBreaker(
      handleWhen((err) => !(err instanceof HttpStatusError && err.isRateLimited)),
      { halfOpenAfter: opts.breaker.halfOpenAfterMs, breaker: new ConsecutiveBreaker(opts.breaker.consecutiveFailures) },
    );
    const circuitGauge = this.metrics.circuit.labels(opts.name);
    circuitGauge.set(0);
    this.breaker.onStateChange((state) => {
      circuitGauge.set(state === CircuitState.Open || state === CircuitState.Isolated ? 1 : state === CircuitState.HalfOpen ? 2 : 0);
      opts.logger.warn({ source: opts.name, circuit: CircuitState[state] }, 'circuit breaker state changed');
    });
  }

  /** Polls until the signal aborts; never throws for a failed poll. */
  async run(): Promise<void> {
    const { name, signal, logger } = this.opts;
    while (!signal.aborted) {
      const wait = await this.pollOnce();
      if (signal.aborted) break;
      logger.debug({ source: name, waitMs: wait }, 'next poll');
      if (!(await sleep(wait, signal))) break;
    }
  }

  health(): HealthReport {
    const state = this.breaker.state;
    const open = state === CircuitState.Open || state === CircuitState.Isolated;
    const status = open ? 'down' : this.consecutiveFailures > 0 || this.lastSuccessAt === undefined ? 'degraded' : 'ok';
    const detail = [
      `circuit ${CircuitState[state].toLowerCase()}`,
      this.lastSuccessAt ? `last success ${new Date(this.lastSuccessAt).toISOString()}` : 'no success yet',
      this.consecutiveFailures > 0 ? `${this.consecutiveFailures} failures in a row: ${this.lastError}` : undefined,
    ]
      .filter(Boolean)
      .join('; ');
    return { status, checks: { [this.opts.name]: { status, detail } } };
  }

  /** One poll through the breaker; returns how long to wait before the next one. */
  private async pollOnce(): Promise<number> {
    const { name, signal, logger, intervalMs } = this.opts;
    const endTimer = this.metrics.duration.labels(name).startTimer();
    try {
      const result = await this.breaker.execute(({ signal: s }) => this.opts.poll(s), signal);
      endTimer();
      this.metrics.polls.labels(name, 'ok').inc();
      this.metrics.items.labels(name, 'published').inc(result.published);
      this.metrics.items.labels(name, 'unchanged').inc(result.unchanged);
      this.lastSuccessAt = Date.now();
      this.metrics.lastSuccess.labels(name).set(this.lastSuccessAt / 1000);
      if (this.consecutiveFailures > 0) logger.info({ source: name, failures: this.consecutiveFailures }, 'poll recovered');
      this.consecutiveFailures = 0;
      this.backoff.reset();
      logger.debug({ source: name, published: result.published, unchanged: result.unchanged }, 'polled');
      return result.nextPollInMs ?? intervalMs;
    } catch (err) {
      if (signal.aborted) return 0;
      const outcome = classify(err);
      if (outcome !== 'circuit_open') endTimer();
      this.metrics.polls.labels(name, outcome).inc();
      this.consecutiveFailures += 1;
      this.lastError = (err as Error).message;
      let wait = this.backoff.nextDelayMs();
      if (err instanceof HttpStatusError && err.retryAfterMs !== undefined) wait = Math.max(wait, err.retryAfterMs);
      logger.warn({ source: name, outcome, err: (err as Error).message, failures: this.consecutiveFailures, waitMs: wait }, 'poll failed; backing off');
      return wait;
    }
  }
}

function classify(err: unknown): Outcome {
  if (err instanceof BrokenCircuitError) return 'circuit_open';
  if (err instanceof HttpTimeoutError) return 'timeout';
  if (err instanceof HttpStatusError && err.isRateLimited) return 'rate_limited';
  return 'error';
}
