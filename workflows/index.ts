/**
 * The workflows folder's front door (for the CLI, the API and tests): the worker, the backfill
 * client and in-process runner, the schedules. Workflow code itself is loaded by the worker from
 * workflows.ts (the bundle entry), never imported from here.
 */
export { runWorker } from './main.ts';
export { startWorkers, workflowBundle, type Workers } from './worker.ts';
export { loadWorkerConfig, type WorkerConfig } from './config.ts';
export type { ActivityDeps } from './activity-deps.ts';
export { createActivities } from './activities.ts';
export { SCHEDULES, ensureSchedules, type ScheduleDefinition } from './schedules.ts';
export { TASK_QUEUE, BACKFILL_TASK_QUEUE } from './task-queues.ts';
export { startBackfill, backfillStatus, backfillWorkflowId, BackfillNotFoundError, type BackfillStatus } from './backfill/client.ts';
export { runBackfillLocally } from './backfill/local.ts';
export { BACKFILL_SOURCES, BACKFILL_MODES, InvalidBackfillInput, normaliseBackfillInput, type BackfillInput } from './backfill/input.ts';
export type { BackfillProgress, BackfillResult } from './backfill/types.ts';
export { gapWorkflowId, startGapRepair } from './gap-repair/consumer.ts';
