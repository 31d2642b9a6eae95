/**
 * The workflows folder's front door: what other folders (the CLI, the API, tests and their
 * support) use. The Temporal workflow bundle's own entry is workflows.ts, not this file.
 */
export { runWorker } from './main.ts';
export { loadWorkerConfig, type WorkerConfig } from './config.ts';
export { startWorkers, type Workers } from './worker.ts';
export { TASK_QUEUE, BACKFILL_TASK_QUEUE } from './task-queues.ts';
export { SCHEDULES, ensureSchedules, type ScheduleDefinition } from './schedules.ts';
