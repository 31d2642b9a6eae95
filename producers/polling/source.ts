/**
 * What every source module (Binance websocket, CoinGecko, Fear & Greed, news) hands the
 * `marketlake produce` dispatcher: a long-running `run()` that returns once `signal` aborts, and
 * a health report for /health.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../../common/logger.ts';
import type { HealthReport, HealthStatus } from '../../common/observability-server.ts';

export interface SourceDeps {
  /** Aborting it stops the source; `run()` then resolves after cleaning up. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly registry: Registry;
}

export interface SourceProducer {
  run(): Promise<void>;
  health(): HealthReport;
}

const rank: Record<HealthStatus, number> = { ok: 0, degraded: 1, down: 2 };

/** The worst status of several parts, with every part's checks. */
export function combineHealth(reports: readonly HealthReport[]): HealthReport {
  let status: HealthStatus = 'ok';
  const checks: Record<string, { status: HealthStatus; detail?: string }> = {};
  for (const r of reports) {
    if (rank[r.status] > rank[status]) status = r.status;
    Object.assign(checks, r.checks);
  }
  return { status, checks };
}

/** Comma-separated list from an env var: trimmed, empties dropped. */
export function csvList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}
