/**
 * The schedules `marketlake worker` makes sure exist at start. Each domain adds its entry to
 * SCHEDULES (gold-hourly and quality-15m come with the gold and quality workflows). Ensuring is
 * idempotent: a missing schedule is created, an existing one is updated to the definition, so a
 * restart never duplicates one and a changed definition takes effect at the next start.
 *
 * Every schedule states its policies explicitly: overlap SKIP (a run still going means the next
 * one is not started: no pile-up behind a slow build), a catch-up window (after the worker or the
 * server was down, missed runs within it are still started, once thanks to SKIP), and
 * pauseOnFailure (false: a failed run does not pause the schedule; alerts watch the failures).
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { TASK_QUEUE } from './task-queues.ts';

export interface ScheduleDefinition {
  readonly id: string;
  readonly description: string;
  readonly workflowType: string;
  readonly taskQueue: string;
  /** The workflow's one input object. */
  readonly input: Record<string, unknown>;
  readonly spec: ScheduleOptions['spec'];
  readonly overlap: ScheduleOverlapPolicy;
  readonly catchupWindow: string;
  readonly pauseOnFailure: boolean;
  /** Bounds each run (a stuck run does not block the schedule forever). */
  readonly workflowRunTimeout: string;
}

export const SCHEDULES: ScheduleDefinition[] = [
  {
    id: 'gold-hourly',
    description: 'Gold build: blocking quality checks, then the models whose inputs changed (incremental), then new alerts to Kafka',
    workflowType: 'goldBuild',
    taskQueue: TASK_QUEUE,
    input: {},
    spec: { calendars: [{ minute: 2, hour: '*', comment: 'every hour at :02, once the last hour\'s candles are final' }] },
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: '1 hour',
    pauseOnFailure: false,
    workflowRunTimeout: '3 hours',
  },
  {
    id: 'maintenance-daily',
    description: 'Lake maintenance: compact small files, checkpoint, apply data retention, vacuum (every table)',
    workflowType: 'maintenance',
    taskQueue: TASK_QUEUE,
    input: { scope: 'daily' },
    spec: { calendars: [{ hour: 3, minute: 17, comment: '03:17 UTC, after the day\'s partitions closed' }] },
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: '6 hours',
    pauseOnFailure: false,
    workflowRunTimeout: '6 hours',
  },
  {
    id: 'quality-15m',
    description: 'Data-quality checks (freshness, volume, schema, uniqueness, validity, consistency, completeness, cross-source) into gold/quality_results',
    workflowType: 'qualityChecks',
    taskQueue: TASK_QUEUE,
    input: {},
    spec: { intervals: [{ every: '15 minutes' }] },
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: '15 minutes',
    pauseOnFailure: false,
    workflowRunTimeout: '30 minutes',
  },
  {
    id: 'maintenance-hourly',
    description: 'Compaction of the partitions written in the last hours (the stream writes many small files)',
    workflowType: 'maintenance',
    taskQueue: TASK_QUEUE,
    input: { scope: 'hourly' },
    spec: { calendars: [{ minute: 7, hour: '*', comment: 'every hour at :07' }] },
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: '30 minutes',
    pauseOnFailure: false,
    workflowRunTimeout: '1 hour',
  },
];

function optionsOf(d: ScheduleDefinition): ScheduleOptions {
  return {
    scheduleId: d.id,
    spec: d.spec,
    // The static summary is what the UI's workflow list shows for each run the schedule starts.
    action: { type: 'startWorkflow', workflowType: d.workflowType, taskQueue: d.taskQueue, args: [d.input], workflowRunTimeout: d.workflowRunTimeout, workflowId: `${d.id}`, staticSummary: `${d.id}: ${d.description}` },
    policies: { overlap: d.overlap, catchupWindow: d.catchupWindow, pauseOnFailure: d.pauseOnFailure },
    state: { note: d.description },
  };
}

export interface EnsuredSchedule {
  readonly id: string;
  readonly action: 'created' | 'updated';
}

/** Creates each schedule or updates it to its definition. */
export async function ensureSchedules(client: Client, definitions: readonly ScheduleDefinition[] = SCHEDULES): Promise<EnsuredSchedule[]> {
  const out: EnsuredSchedule[] = [];
  for (const d of definitions) {
    const options = optionsOf(d);
    try {
      await client.schedule.create(options);
      out.push({ id: d.id, action: 'created' });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(d.id).update((prev) => ({
        ...prev,
        spec: options.spec,
        action: options.action as typeof prev.action,
        policies: options.policies,
      }));
      out.push({ id: d.id, action: 'updated' });
    }
  }
  return out;
}
