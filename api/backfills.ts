/**
 * Starting and watching backfills in Temporal, by workflow type NAME (`backfill`, query
 * `progress`): the API does not import the workflow code, only its contract (the workflow
 * type, input and query; ARCHITECTURE.md, "Who owns what"). The connection is lazy: the API starts without Temporal and answers 503 on these
 * routes until Temporal is reachable.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, NamespaceNotFoundError, ServiceError, WorkflowNotFoundError, isGrpcServiceError } from '@temporalio/client';
import { NotFoundProblem, UnavailableProblem } from './problem.ts';

export interface BackfillInput {
  readonly symbols: string[];
  readonly from: string;
  readonly to: string;
  readonly source: 'klines' | 'trades' | 'aggTrades' | 'rest' | 'auto';
  readonly mode: 'missing' | 'all';
  readonly dryRun: boolean;
  readonly maxConcurrency: number;
}

export interface BackfillStatus {
  readonly id: string;
  readonly run_id: string;
  readonly status: string;
  readonly started_at: string | null;
  readonly closed_at: string | null;
  /** The workflow's `progress` query, or null when no worker answered (yet). */
  readonly progress: unknown;
}

export interface Backfills {
  start(input: BackfillInput): Promise<{ id: string; runId: string }>;
  get(id: string): Promise<BackfillStatus>;
  health(): Promise<{ status: 'ok' | 'down'; detail: string }>;
  close(): Promise<void>;
}

export const BACKFILL_WORKFLOW_TYPE = 'backfill';
export const BACKFILL_PROGRESS_QUERY = 'progress';

export class TemporalBackfills implements Backfills {
  private readonly connection: Connection;
  private readonly client: Client;

  constructor(
    private readonly opts: { address: string; namespace: string; taskQueue: string; queryTimeoutMs?: number },
  ) {
    this.connection = Connection.lazy({ address: opts.address, connectTimeout: 3000 });
    this.client = new Client({ connection: this.connection, namespace: opts.namespace });
  }

  async start(input: BackfillInput): Promise<{ id: string; runId: string }> {
    const id = `backfill-${randomUUID()}`;
    const handle = await this.temporal(() =>
      this.client.workflow.start(BACKFILL_WORKFLOW_TYPE, { taskQueue: this.opts.taskQueue, workflowId: id, args: [input] }),
    );
    return { id, runId: handle.firstExecutionRunId };
  }

  async get(id: string): Promise<BackfillStatus> {
    const handle = this.client.workflow.getHandle(id);
    const description = await this.temporal(async () => {
      try {
        return await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new NotFoundProblem(`no backfill with id ${id}`);
        throw err;
      }
    });
    if (description.type !== BACKFILL_WORKFLOW_TYPE) throw new NotFoundProblem(`${id} is not a backfill`);
    let progress: unknown = null;
    try {
      progress = await this.connection.withDeadline(Date.now() + (this.opts.queryTimeoutMs ?? 3000), () => handle.query(BACKFILL_PROGRESS_QUERY));
    } catch {
      // No worker answered in time (or the workflow does not define the query yet): status only.
    }
    return {
      id,
      run_id: description.runId,
      status: description.status.name,
      started_at: description.startTime ? description.startTime.toISOString() : null,
      closed_at: description.closeTime ? description.closeTime.toISOString() : null,
      progress: progress ?? null,
    };
  }

  async health(): Promise<{ status: 'ok' | 'down'; detail: string }> {
    try {
      await this.connection.withDeadline(Date.now() + 2000, () => this.connection.workflowService.getSystemInfo({}));
      return { status: 'ok', detail: this.opts.address };
    } catch (err) {
      return { status: 'down', detail: `Temporal at ${this.opts.address}: ${(err as Error).message.split('\n')[0]}` };
    }
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }

  /**
   * Runs a Temporal call. What fails on Temporal's side (unreachable, a deadline, a namespace it
   * cannot find, any gRPC status) is a dependency down: a 503 naming Temporal, never a 500.
   */
  private async temporal<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.connection.withDeadline(Date.now() + 5000, fn);
    } catch (err) {
      if (err instanceof NotFoundProblem) throw err;
      if (err instanceof ServiceError || err instanceof NamespaceNotFoundError || isGrpcServiceError(err) || isConnectionError(err)) {
        const msg = (err as Error).message ?? String(err);
        throw new UnavailableProblem('temporal', `Temporal at ${this.opts.address} is unavailable: ${msg.split('\n')[0]}`);
      }
      throw err;
    }
  }
}

/** A socket-level failure before any gRPC status (Node's system errors carry a string code). */
function isConnectionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE'].includes(code);
}
