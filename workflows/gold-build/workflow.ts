/**
 * The `goldBuild` workflow (queue `marketlake`; schedule `gold-hourly`, and on demand, e.g. after
 * a backfill for the range it wrote). Input, one JSON object (all optional):
 * `{"select": ["indicators+"], "from": "2024-01-01", "to": "2024-01-31", "fullRefresh": false,
 *   "blockingChecks": true, "publishAlerts": true}`.
 *
 * 1. The blocking data-quality checks over gold's inputs, over the dates the build rewrites
 *    (`from` / `to`; everything for a full build; else the dates its inputs changed since its
 *    models' last commits, e.g. a backfilled month; nothing changed: the checks' look-backs
 *    before the newest data): a failure stops the build before any gold table changes.
 * 2. The build: every model whose inputs changed, each in one atomic commit; a model that fails
 *    (or whose own tests fail) leaves its previous output in place and its dependants are skipped.
 * 3. The alerts the build newly raised go to Kafka `market.alerts.v1`, once.
 * The workflow fails (after publishing what was built) when a model failed.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities.ts';
import type { GoldBuildOutcome } from './activities.ts';

export interface GoldBuildInput {
  readonly select?: readonly string[];
  readonly from?: string;
  readonly to?: string;
  readonly fullRefresh?: boolean;
  /** Run the blocking quality checks first (default true). */
  readonly blockingChecks?: boolean;
  /** Publish new alerts to Kafka (default true). */
  readonly publishAlerts?: boolean;
  /** Where new alerts go (default market.alerts.v1; another topic for staging or tests). */
  readonly alertsTopic?: string;
}

export interface GoldBuildResult {
  readonly checks: { readonly runId: string; readonly passed: boolean } | 'skipped';
  readonly build: GoldBuildOutcome;
  readonly alertsPublished: number;
}

/** The lake tables gold is built from: the blocking checks that guard them gate the build. */
export const GOLD_INPUT_TABLES = ['silver/candles', 'bronze/trades', 'bronze/tickers', 'bronze/sentiment', 'bronze/news'];

const { runBlockingChecks } = proxyActivities<Activities>({ startToCloseTimeout: '30 minutes', retry: { maximumAttempts: 3, initialInterval: '10 seconds', nonRetryableErrorTypes: ['InvalidDateError'] } });
const { buildGold } = proxyActivities<Activities>({ startToCloseTimeout: '3 hours', heartbeatTimeout: '10 minutes', retry: { maximumAttempts: 3, initialInterval: '30 seconds' } });
const { publishGoldAlerts } = proxyActivities<Activities>({ startToCloseTimeout: '10 minutes', retry: { maximumAttempts: 10, initialInterval: '5 seconds', maximumInterval: '1 minute' } });

export async function goldBuild(input: GoldBuildInput = {}): Promise<GoldBuildResult> {
  let checks: GoldBuildResult['checks'] = 'skipped';
  if (input?.blockingChecks !== false) {
    const gate = await runBlockingChecks({ inputs: GOLD_INPUT_TABLES, from: input?.from, to: input?.to, select: input?.select, fullRefresh: input?.fullRefresh });
    checks = { runId: gate.runId, passed: gate.passed };
    if (!gate.passed) {
      throw ApplicationFailure.nonRetryable(`gold build blocked: blocking data-quality checks failed (${gate.blockedBy.join(', ')}); gold is unchanged`, 'GoldBuildBlocked', gate);
    }
  }
  const build = await buildGold({ select: input?.select, from: input?.from, to: input?.to, fullRefresh: input?.fullRefresh });
  const alertsPublished = input?.publishAlerts === false ? 0 : (await publishGoldAlerts({ topic: input?.alertsTopic })).published;
  if (!build.ok) {
    const failed = build.models.filter((m) => m.status === 'failed').map((m) => `${m.model}: ${m.error}`);
    throw ApplicationFailure.nonRetryable(`gold build: ${failed.length} model(s) failed, their previous gold is in place: ${failed.join('; ')}`, 'GoldModelFailed', { checks, build, alertsPublished });
  }
  return { checks, build, alertsPublished };
}
