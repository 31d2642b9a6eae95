/** What the backfill workflow and its activities exchange (plain JSON; no Node built-ins). */
import type { BackfillMode, BackfillInput } from './input.ts';
import type { BackfillPlan, WorkItem } from './plan.ts';

export type PartitionStatus = 'done' | 'unavailable' | 'failed' | 'skipped';

export interface ItemRequest {
  readonly item: WorkItem;
  readonly mode: BackfillMode;
  readonly exchange: string;
  /** Txn version of this run (its start time, ms): an activity retry finds its own commit. */
  readonly runVersion: number;
}

export interface DayOutcome {
  readonly day: string;
  /** `failed`: this day's own file was bad (a monthly file's days fall back to daily files one by one). */
  readonly status: 'done' | 'unavailable' | 'failed';
  readonly rows: number;
  /** What wrote it (`klines`, `rest`, ...). */
  readonly source?: string;
  readonly reason?: string;
  readonly errorType?: string;
}

export interface ItemResult {
  readonly itemId: string;
  readonly days: readonly DayOutcome[];
  readonly rowsWritten: number;
  readonly bytesDownloaded: number;
  /** False when an earlier attempt of this run had committed it already. */
  readonly committed: boolean;
  /** Times its commit met a concurrent change to its partitions (e.g. the stream) and merged again. */
  readonly conflictRetries?: number;
  /** Days this attempt did not redo: a previous attempt (a worker that died) had committed them, as its last heartbeat said. */
  readonly resumedDays?: number;
}

export interface FailedPartition {
  readonly symbol: string;
  readonly day: string;
  readonly itemId: string;
  readonly reason: string;
  /** The error's class name (ArchiveChecksumError, CorruptArchiveError, ...). */
  readonly errorType: string;
}

export interface BackfillProgress {
  readonly summary: string;
  readonly phase: 'planning' | 'running' | 'waiting-for-retry' | 'done' | 'cancelled';
  readonly partitions: { total: number; done: number; failed: number; skipped: number; unavailable: number; running: number };
  readonly rowsWritten: number;
  readonly bytesDownloaded: number;
  readonly rowsPerSecond: number;
  /** Seconds left at the current rate (null before the first item ends). */
  readonly etaSeconds: number | null;
  readonly startedAt: string;
  /** Workflow runs so far (continue-as-new). */
  readonly run: number;
  /** Partitions a retried item did not redo because the attempt before it (on a worker that died) had committed them. */
  readonly resumedPartitions?: number;
}

export interface BackfillResult {
  readonly summary: string;
  readonly dryRun: boolean;
  readonly plan?: BackfillPlan;
  readonly progress: BackfillProgress;
  readonly failed: readonly FailedPartition[];
  readonly unavailable: readonly { symbol: string; day: string }[];
}

/** State carried across continue-as-new, inside the one input object. */
export interface BackfillCarry {
  readonly items: readonly WorkItem[];
  readonly counters: { done: number; skipped: number; unavailable: number; rowsWritten: number; bytesDownloaded: number; resumed?: number };
  readonly total: number;
  readonly failed: readonly FailedPartition[];
  /** The failed items (their failed days), so that `retryFailed` still redoes them after continue-as-new. */
  readonly failedItems?: readonly WorkItem[];
  readonly unavailable: readonly { symbol: string; day: string }[];
  readonly runVersion: number;
  readonly startedAtMs: number;
  readonly run: number;
  readonly summary: string;
  /** BACKFILL_ITEMS_PER_RUN, as the plan carried it. */
  readonly itemsPerRun?: number;
}

export type BackfillWorkflowInput = BackfillInput & { readonly carry?: BackfillCarry };
