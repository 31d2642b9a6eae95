/**
 * `marketlake backfill --local`: the same plan and the same work items as the workflow, run
 * in-process without Temporal (no server needed; no durability either: a crash loses nothing
 * committed, and a rerun with mode `missing` continues where it stopped).
 */
import type { ActivityDeps } from '../activity-deps.ts';
import { backfillSummary, normaliseBackfillInput, type BackfillInput } from './input.ts';
import type { WorkItem } from './plan.ts';
import { planBackfill, runItem } from './runner.ts';
import { BackfillItemError } from './errors.ts';
import type { BackfillProgress, BackfillResult, FailedPartition } from './types.ts';

export async function runBackfillLocally(deps: ActivityDeps, input: BackfillInput, opts: { onProgress?: (p: BackfillProgress) => void; signal?: AbortSignal } = {}): Promise<BackfillResult> {
  const nowMs = Date.now();
  const normalised = normaliseBackfillInput(input, { nowMs, maxPartitions: deps.config.BACKFILL_MAX_PARTITIONS });
  const plan = await planBackfill(deps, input, nowMs);
  const startedAt = Date.now();
  const counters = { done: 0, unavailable: 0, rowsWritten: 0, bytesDownloaded: 0 };
  const failed: FailedPartition[] = [];
  const unavailable: { symbol: string; day: string }[] = [];
  const running = new Set<WorkItem>();
  const progress = (phase: BackfillProgress['phase']): BackfillProgress => {
    const elapsed = Math.max(0.001, (Date.now() - startedAt) / 1000);
    const finished = counters.done + failed.length + counters.unavailable;
    const rate = finished / elapsed;
    return {
      summary: backfillSummary(normalised),
      phase,
      partitions: { total: plan.partitionsTotal, done: counters.done, failed: failed.length, skipped: plan.skipped.length, unavailable: counters.unavailable, running: [...running].reduce((n, i) => n + i.days.length, 0) },
      rowsWritten: counters.rowsWritten,
      bytesDownloaded: counters.bytesDownloaded,
      rowsPerSecond: Math.round(counters.rowsWritten / elapsed),
      etaSeconds: finished > 0 ? Math.round((plan.partitionsTotal - plan.skipped.length - finished) / rate) : null,
      startedAt: new Date(startedAt).toISOString(),
      run: 1,
    };
  };
  if (normalised.dryRun) return { summary: plan.summary, dryRun: true, plan, progress: progress('done'), failed: [], unavailable: [] };
  const queue = [...plan.items];
  const runVersion = startedAt;
  const worker = async () => {
    while (queue.length > 0 && !opts.signal?.aborted) {
      const item = queue.shift()!;
      running.add(item);
      opts.onProgress?.(progress('running'));
      try {
        const r = await runItem(deps, { item, mode: normalised.mode, exchange: normalised.exchange, runVersion }, { heartbeat: () => undefined, signal: opts.signal });
        counters.rowsWritten += r.rowsWritten;
        counters.bytesDownloaded += r.bytesDownloaded;
        for (const d of r.days) {
          if (d.status === 'done') counters.done += 1;
          else if (d.status === 'unavailable') {
            counters.unavailable += 1;
            unavailable.push({ symbol: item.symbol, day: d.day });
          } else failed.push({ symbol: item.symbol, day: d.day, itemId: item.id, reason: d.reason ?? 'failed', errorType: d.errorType ?? 'Error' });
        }
      } catch (err) {
        if (opts.signal?.aborted) break;
        const type = err instanceof BackfillItemError ? err.name : (err as Error).name;
        for (const day of item.days) failed.push({ symbol: item.symbol, day, itemId: item.id, reason: (err as Error).message, errorType: type });
      } finally {
        running.delete(item);
        opts.onProgress?.(progress('running'));
      }
    }
  };
  await Promise.all(Array.from({ length: normalised.maxConcurrency }, worker));
  return { summary: plan.summary, dryRun: false, progress: progress(opts.signal?.aborted ? 'cancelled' : 'done'), failed, unavailable };
}
