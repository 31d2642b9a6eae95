/** Starting, watching and cancelling backfill workflows (the CLI and the API use these). */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { BACKFILL_TASK_QUEUE } from '../task-queues.ts';
import { backfillSummary, normaliseBackfillInput, type BackfillInput } from './input.ts';
import type { BackfillProgress, BackfillResult } from './types.ts';

/** A readable id: what, when, and a suffix so two starts of the same range do not collide. */
export function backfillWorkflowId(input: BackfillInput, nowMs = Date.now()): string {
  const symbols = input.symbols.length <= 2 ? input.symbols.join('-') : `${input.symbols[0]}-and-${input.symbols.length - 1}`;
  return `backfill-${symbols}-${input.from.slice(0, 10)}-${input.to.slice(0, 10)}-${nowMs.toString(36)}`;
}

export async function startBackfill(client: Client, input: BackfillInput, opts: { workflowId?: string } = {}): Promise<WorkflowHandle> {
  // The same checks as the workflow's, before anything is started.
  const normalised = normaliseBackfillInput(input, { nowMs: Date.now(), maxPartitions: Number.MAX_SAFE_INTEGER });
  return client.workflow.start('backfill', {
    taskQueue: BACKFILL_TASK_QUEUE,
    workflowId: opts.workflowId ?? backfillWorkflowId(input),
    args: [input as never],
    staticSummary: backfillSummary(normalised),
  });
}

export type BackfillStatus =
  | { readonly state: 'running'; readonly progress: BackfillProgress }
  | { readonly state: 'completed'; readonly result: BackfillResult }
  | { readonly state: 'failed' | 'cancelled' | 'terminated' | 'timed_out' | 'continued_as_new'; readonly reason?: string };

export class BackfillNotFoundError extends Error {
  constructor(readonly workflowId: string) {
    super(`no backfill workflow with id ${workflowId}`);
    this.name = 'BackfillNotFoundError';
  }
}

export async function backfillStatus(client: Client, workflowId: string): Promise<BackfillStatus> {
  const handle = client.workflow.getHandle(workflowId);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new BackfillNotFoundError(workflowId);
    throw err;
  }
  if (status === 'RUNNING') return { state: 'running', progress: await handle.query<BackfillProgress>('progress') };
  if (status === 'COMPLETED') return { state: 'completed', result: (await handle.result()) as BackfillResult };
  const reason = await handle.result().then(() => undefined, (e: Error) => (e.cause as Error | undefined)?.message ?? e.message);
  return { state: status.toLowerCase() as 'failed', reason };
}
