/** Task queues (ARCHITECTURE.md, "Who owns what"): scheduled and on-demand work, and backfills with their own slots. */
export const TASK_QUEUE = 'marketlake';
export const BACKFILL_TASK_QUEUE = 'marketlake-backfill';
