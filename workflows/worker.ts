/**
 * The two Temporal workers of `marketlake worker`, in one process and one bundle: queue
 * `marketlake` (scheduled and on-demand work) and queue `marketlake-backfill` (backfills only,
 * with their own activity slots, so that a year-long backfill never delays the hourly gold build).
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ActivityDeps } from './activity-deps.ts';
import { createActivities } from './activities.ts';
import { BACKFILL_TASK_QUEUE, TASK_QUEUE } from './task-queues.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows.ts', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never });
  return bundle;
}

export interface Workers {
  readonly main: Worker;
  readonly backfill: Worker;
  /** Resolves when both stopped (after shutdown()); rejects when one fails. */
  readonly running: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorkers(connection: NativeConnection, deps: ActivityDeps, opts: { namespace?: string } = {}): Promise<Workers> {
  const activities = createActivities(deps);
  const workflowBundleCode = await workflowBundle();
  const common = {
    connection,
    namespace: opts.namespace ?? deps.config.TEMPORAL_NAMESPACE,
    workflowBundle: workflowBundleCode,
    activities,
    // Heartbeats reach the server within a second: cancellation of a backfill arrives in seconds.
    maxHeartbeatThrottleInterval: '1 second',
    shutdownGraceTime: '10 seconds',
  } as const;
  const main = await Worker.create({ ...common, taskQueue: TASK_QUEUE, maxConcurrentActivityTaskExecutions: deps.config.WORKER_MAX_CONCURRENT_ACTIVITIES });
  const backfill = await Worker.create({ ...common, taskQueue: BACKFILL_TASK_QUEUE, maxConcurrentActivityTaskExecutions: deps.config.BACKFILL_MAX_CONCURRENT_ACTIVITIES });
  const running = Promise.all([main.run(), backfill.run()]).then(() => undefined);
  return {
    main,
    backfill,
    running,
    async shutdown() {
      for (const w of [backfill, main]) if (w.getState() === 'RUNNING') w.shutdown();
      await running.catch(() => undefined);
    },
  };
}
