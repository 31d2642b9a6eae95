/**
 * The `backfill` workflow (queue `marketlake-backfill`). Plans symbol×day partitions, runs the
 * work items with at most `maxConcurrency` at once, each one lake commit, and keeps a progress
 * record for the `progress` query. Failures of one item (checksum, corrupt file, retries
 * exhausted) are recorded with their reason while the others go on; `retryFailed` queues them
 * again. Cancelling stops the running items before their commit, so only whole partitions exist.
 * Long plans continue as new every BACKFILL_ITEMS_PER_RUN items, carrying what is left.
 *
 * Workflow code: deterministic, no Node built-ins, activities imported only as types.
 */
import {
  ActivityFailure,
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  startChild,
  workflowInfo,
  ParentClosePolicy,
} from '@temporalio/workflow';
import { TASK_QUEUE } from '../task-queues.ts';
import type { BackfillActivities } from './activities.ts';
import { backfillDetails, backfillSummary, InvalidBackfillInput, normaliseBackfillInput } from './input.ts';
import type { WorkItem } from './plan.ts';
import type { BackfillCarry, BackfillProgress, BackfillResult, BackfillWorkflowInput, FailedPartition, ItemResult } from './types.ts';

export const progressQuery = defineQuery<BackfillProgress>('progress');
export const retryFailedSignal = defineSignal('retryFailed');

/** Work items per run before continue-as-new when the plan does not say (the worker's BACKFILL_ITEMS_PER_RUN reaches the workflow through the plan). */
const DEFAULT_ITEMS_PER_RUN = 200;

// Short steps of this worker's own (a plan: one coverage query and one request per symbol; an
// outcome: a metric) run as local activities: in the workflow task that needs them, without a
// round trip through the server's task queue each (a scheduled activity costs one more workflow
// task and a poll before and after it). Their results are recorded in the history all the same.
const { planBackfill, recordBackfillOutcome } = proxyLocalActivities<BackfillActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 5, initialInterval: '1 second', nonRetryableErrorTypes: ['InvalidBackfillInput', 'UnknownSymbolError'] },
});

const { backfillItem } = proxyActivities<BackfillActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '15 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 6,
    nonRetryableErrorTypes: ['ArchiveChecksumError', 'CorruptArchiveError', 'ArchiveUnavailableError', 'InvalidBackfillInput', 'UnknownSymbolError'],
  },
});

function invalid(err: InvalidBackfillInput): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvalidBackfillInput', message: err.message, nonRetryable: true, details: [{ field: err.field }] });
}

function innermost(err: unknown): unknown {
  let e = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  return e;
}

/** The innermost failure's type and message (ActivityFailure wraps the ApplicationFailure). */
function reasonOf(err: unknown): { type: string; message: string } {
  const e = innermost(err) as { type?: string; message?: string; name?: string };
  return { type: (e as ApplicationFailure).type ?? e.name ?? 'Error', message: e.message ?? String(err) };
}

export async function backfill(input: BackfillWorkflowInput): Promise<BackfillResult> {
  const { carry, ...raw } = input;
  // Shape checks here (fail at once); the size limit and the lake are checked by planBackfill.
  let normalised;
  try {
    normalised = normaliseBackfillInput(raw, { nowMs: Date.now(), maxPartitions: Number.MAX_SAFE_INTEGER });
  } catch (err) {
    if (err instanceof InvalidBackfillInput) throw invalid(err);
    throw err;
  }
  const startedAtMs = carry?.startedAtMs ?? Date.now();
  const runVersion = carry?.runVersion ?? startedAtMs;
  let phase: BackfillProgress['phase'] = 'planning';
  let total = carry?.total ?? 0;
  const counters = { resumed: 0, ...(carry?.counters ?? { done: 0, skipped: 0, unavailable: 0, rowsWritten: 0, bytesDownloaded: 0 }) };
  const failed: FailedPartition[] = [...(carry?.failed ?? [])];
  const failedItems = new Map<string, WorkItem>((carry?.failedItems ?? []).map((i) => [i.id, i]));
  const unavailable = [...(carry?.unavailable ?? [])];
  const running = new Map<string, WorkItem>();
  let summary = carry?.summary ?? backfillSummary(normalised);
  let itemsPerRun = carry?.itemsPerRun ?? DEFAULT_ITEMS_PER_RUN;
  let retryRequested = false;
  // A run started from the UI has no static summary (only a start request can set one): the
  // details the UI shows on the run's page say what it does from its first workflow task on.
  setCurrentDetails(backfillDetails(normalised, carry?.run ?? 1));

  const progress = (): BackfillProgress => {
    const elapsed = Math.max(0.001, (Date.now() - startedAtMs) / 1000);
    const finished = counters.done + failed.length + counters.unavailable;
    const remaining = total - finished - counters.skipped;
    const rate = finished / elapsed;
    return {
      summary,
      phase,
      partitions: {
        total,
        done: counters.done,
        failed: failed.length,
        skipped: counters.skipped,
        unavailable: counters.unavailable,
        running: [...running.values()].reduce((n, i) => n + i.days.length, 0),
      },
      rowsWritten: counters.rowsWritten,
      bytesDownloaded: counters.bytesDownloaded,
      rowsPerSecond: Math.round(counters.rowsWritten / elapsed),
      etaSeconds: finished > 0 ? Math.round(remaining / rate) : null,
      startedAt: new Date(startedAtMs).toISOString(),
      run: carry?.run ?? 1,
      resumedPartitions: counters.resumed,
    };
  };
  setHandler(progressQuery, progress);
  setHandler(retryFailedSignal, () => {
    retryRequested = true;
  });

  let queue: WorkItem[];
  if (carry) queue = [...carry.items];
  else {
    let plan;
    try {
      plan = await planBackfill(raw, Date.now());
    } catch (err) {
      const r = reasonOf(err);
      // Bad input found by the planner (the size limit, a symbol Binance does not have): the run fails at once, with the same type.
      if (r.type === 'InvalidBackfillInput' || r.type === 'UnknownSymbolError') {
        throw ApplicationFailure.create({ type: r.type, message: r.message, nonRetryable: true, details: (innermost(err) as ApplicationFailure).details ?? undefined });
      }
      throw err;
    }
    summary = plan.summary;
    itemsPerRun = plan.itemsPerRun ?? DEFAULT_ITEMS_PER_RUN;
    total = plan.partitionsTotal;
    counters.skipped = plan.skipped.length;
    upsertMemo({ summary });
    if (normalised.dryRun) {
      phase = 'done';
      return { summary, dryRun: true, plan, progress: progress(), failed: [], unavailable: [] };
    }
    queue = [...plan.items];
  }
  phase = 'running';

  const record = (item: WorkItem, r: ItemResult) => {
    counters.rowsWritten += r.rowsWritten;
    counters.bytesDownloaded += r.bytesDownloaded;
    counters.resumed += r.resumedDays ?? 0;
    const failedDays = r.days.filter((d) => d.status === 'failed');
    for (const d of failedDays) failed.push({ symbol: item.symbol, day: d.day, itemId: item.id, reason: d.reason ?? 'failed', errorType: d.errorType ?? 'Error' });
    if (failedDays.length > 0) failedItems.set(item.id, { ...item, days: failedDays.map((d) => d.day) });
    for (const d of r.days) {
      if (d.status === 'done') counters.done += 1;
      else if (d.status === 'unavailable') {
        counters.unavailable += 1;
        unavailable.push({ symbol: item.symbol, day: d.day });
      }
    }
  };
  const fail = (item: WorkItem, err: unknown) => {
    const r = reasonOf(err);
    failedItems.set(item.id, item);
    for (const day of item.days) failed.push({ symbol: item.symbol, day, itemId: item.id, reason: r.message, errorType: r.type });
  };

  let processedThisRun = 0;
  const runQueue = async () => {
    const workers: Promise<void>[] = [];
    const next = async (): Promise<void> => {
      while (queue.length > 0 && processedThisRun < itemsPerRun) {
        const item = queue.shift()!;
        processedThisRun += 1;
        running.set(item.id, item);
        try {
          // The item's own line in the UI's event history (which archive, which days).
          const itemSummary = `${item.id} (${item.days.length === 1 ? item.days[0] : `${item.days[0]}..${item.days[item.days.length - 1]}`})`;
          record(item, await backfillItem.executeWithOptions({ summary: itemSummary }, [{ item, mode: normalised.mode, exchange: normalised.exchange, runVersion }]));
        } catch (err) {
          if (isCancellation(err)) throw err;
          fail(item, err);
        } finally {
          running.delete(item.id);
        }
      }
    };
    for (let i = 0; i < normalised.maxConcurrency; i++) workers.push(next());
    await Promise.all(workers);
  };

  try {
    for (;;) {
      await runQueue();
      if (queue.length > 0) {
        // Keep the history small: the rest continues in a new run with the same id.
        const next: BackfillCarry = { items: queue, counters, total, failed, failedItems: [...failedItems.values()], unavailable, runVersion, startedAtMs, run: (carry?.run ?? 1) + 1, summary, itemsPerRun };
        await continueAsNew<typeof backfill>({ ...raw, carry: next });
      }
      const requeue = () => {
        retryRequested = false;
        queue = [...failedItems.values()];
        failedItems.clear();
        const again = new Set(queue.map((i) => i.id));
        for (let i = failed.length - 1; i >= 0; i--) if (again.has(failed[i].itemId)) failed.splice(i, 1);
      };
      if (retryRequested && failedItems.size > 0) {
        requeue();
        continue;
      }
      if (failedItems.size > 0 && normalised.retryWaitMinutes > 0) {
        phase = 'waiting-for-retry';
        if (await condition(() => retryRequested, `${normalised.retryWaitMinutes} minutes`)) {
          phase = 'running';
          requeue();
          continue;
        }
      }
      break;
    }
  } catch (err) {
    if (isCancellation(err)) {
      phase = 'cancelled';
      await CancellationScope.nonCancellable(() => recordBackfillOutcome('cancelled'));
    }
    throw err;
  }
  phase = 'done';
  // Gold follows the data: an incremental gold build (queue marketlake) computes exactly the
  // partitions this backfill changed (read from the Delta logs), and for the indicators'
  // recursions every later date. Started, not awaited; it outlives this workflow. Its start and
  // the outcome's metric go in the same workflow task.
  const goldAfter =
    counters.done > 0
      ? startChild('goldBuild', {
          taskQueue: TASK_QUEUE,
          workflowId: `gold-after-${workflowInfo().workflowId}-${workflowInfo().runId}`,
          args: [{}],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        })
      : undefined;
  await Promise.all([recordBackfillOutcome(failed.length > 0 ? 'failed' : 'completed'), goldAfter]);
  return { summary, dryRun: false, progress: progress(), failed, unavailable };
}
