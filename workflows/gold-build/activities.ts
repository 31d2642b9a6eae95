/**
 * Activities of the `goldBuild` workflow: the build itself (transforms/: incremental unless told
 * otherwise, each model one atomic commit, a failed model leaving its previous output in place)
 * and publishing the alerts the build newly raised to Kafka `market.alerts.v1`, once. Its quality
 * gate, `runBlockingChecks`, is the quality domain's (workflows/quality-checks/activities.ts).
 */
import { Context } from '@temporalio/activity';
import { transformMetrics } from '../../common/metrics-catalog.ts';
import { TOPICS } from '../../common/topics.ts';
import { MODELS, describePartitions, goldConfigFromEnv, kafkaAlertSender, publishNewAlerts, runTransforms } from '../../transforms/index.ts';
import type { ActivityDeps } from '../activity-deps.ts';

export interface GoldBuildRequest {
  readonly select?: readonly string[];
  readonly from?: string;
  readonly to?: string;
  readonly fullRefresh?: boolean;
}

export interface GoldModelOutcome {
  readonly model: string;
  readonly status: 'success' | 'skipped' | 'failed';
  readonly partitions: string;
  readonly rows: number;
  readonly durationMs: number;
  readonly error?: string;
}

export interface GoldBuildOutcome {
  readonly runId: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly models: readonly GoldModelOutcome[];
}

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Called outside an activity (tests calling the factory directly): nothing to report to.
  }
}

export function createGoldActivities(deps: ActivityDeps) {
  const metrics = transformMetrics(deps.registry);
  return {
    async buildGold(req: GoldBuildRequest = {}): Promise<GoldBuildOutcome> {
      const summary = await runTransforms(deps.lake, MODELS, {
        select: req.select,
        from: req.from,
        to: req.to,
        fullRefresh: req.fullRefresh,
        config: goldConfigFromEnv(),
        metrics,
        engine: deps.goldEngine,
        log: (message) => {
          deps.logger.info({ activity: 'buildGold' }, message);
          heartbeat({ message });
        },
      });
      const outcome: GoldBuildOutcome = {
        runId: summary.runId,
        ok: summary.ok,
        durationMs: summary.durationMs,
        models: summary.models.map((m) => ({ model: m.model, status: m.status, partitions: describePartitions(m.partitions), rows: m.rows, durationMs: m.durationMs, ...(m.error ? { error: m.error } : {}) })),
      };
      deps.logger.info({ runId: outcome.runId, ok: outcome.ok, models: outcome.models }, 'gold build finished');
      return outcome;
    },

    /** Publishes the alerts gold/alerts holds that were not published yet (see transforms/alerts-publisher.ts). */
    async publishGoldAlerts(req: { topic?: string } = {}): Promise<{ published: number; toVersion: number }> {
      if (!deps.kafkaProducer) {
        // Nothing is marked published: the next build with a producer sends these alerts.
        deps.logger.warn('publishGoldAlerts: this worker has no Kafka producer (ActivityDeps.kafkaProducer); new alerts stay unpublished until one does');
        return { published: 0, toVersion: -1 };
      }
      const producer = await deps.kafkaProducer();
      const topic = req.topic ?? TOPICS.alerts;
      const result = await publishNewAlerts(deps.lake, kafkaAlertSender(producer, topic), { topic });
      deps.logger.info({ topic, published: result.published, fromVersion: result.fromVersion, toVersion: result.toVersion }, 'gold alerts published');
      return { published: result.published, toVersion: result.toVersion };
    },
  };
}

export type GoldActivities = ReturnType<typeof createGoldActivities>;
