/**
 * The backfill's activities (queue `marketlake-backfill`): Temporal wrappers around runner.ts
 * that turn its error classes into ApplicationFailures the workflow can tell apart, heartbeat
 * progress (and receive cancellation through it), and resume from the last heartbeat's details.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { backfillMetrics, type BackfillOutcome } from '../../common/metrics-catalog.ts';
import type { ActivityDeps } from '../activity-deps.ts';
import { BackfillItemError } from './errors.ts';
import { InvalidBackfillInput, UnknownSymbolError, type BackfillInput } from './input.ts';
import type { BackfillPlan } from './plan.ts';
import { planBackfill, runItem, type ItemCheckpoint } from './runner.ts';
import type { ItemRequest, ItemResult } from './types.ts';

/** Our error classes become ApplicationFailures of the same type name (non-retryable unless transient). */
export function toFailure(err: unknown): unknown {
  if (err instanceof UnknownSymbolError) return ApplicationFailure.create({ type: 'UnknownSymbolError', message: err.message, nonRetryable: true, details: [{ field: err.field, symbol: err.symbol }] });
  if (err instanceof InvalidBackfillInput) return ApplicationFailure.create({ type: 'InvalidBackfillInput', message: err.message, nonRetryable: true, details: [{ field: err.field }] });
  if (err instanceof BackfillItemError) return ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: !err.retryable });
  return err;
}

export function createBackfillActivities(deps: ActivityDeps) {
  return {
    async planBackfill(input: BackfillInput, nowMs: number): Promise<BackfillPlan> {
      try {
        return await planBackfill(deps, input, nowMs);
      } catch (err) {
        throw toFailure(err);
      }
    },

    async backfillItem(req: ItemRequest): Promise<ItemResult> {
      const ctx = Context.current();
      const resumeFrom = ctx.info.heartbeatDetails as ItemCheckpoint | undefined;
      try {
        return await runItem(deps, req, {
          heartbeat: (d) => ctx.heartbeat(d),
          signal: ctx.cancellationSignal,
          resumeFrom: resumeFrom?.itemId === req.item.id ? resumeFrom : undefined,
        });
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('backfill cancelled: the item stopped before its commit');
        throw toFailure(err);
      }
    },

    async recordBackfillOutcome(outcome: BackfillOutcome): Promise<void> {
      backfillMetrics(deps.registry).runs.inc({ outcome });
    },
  };
}

export type BackfillActivities = ReturnType<typeof createBackfillActivities>;
