/**
 * The bronze commit of a flush: each bronze table once, with the rows of every partition flushed
 * and, per topic-partition, a Delta `txn` (appId `stream:<group>:<topic>:<partition>`, version =
 * next offset). Fenced: the commit only goes ahead for partitions whose recorded version is the
 * one we continued from; a partition someone else committed meanwhile is reset (we are a zombie
 * for it), its uncommitted work dropped.
 */
import type { Logger } from 'pino';
import { ConcurrentModificationError, JsonEventsBuilder, type Lake } from '../../lake/index.ts';
import type { FlushUnit } from './partition-state.ts';
import type { Partitions } from './partitions.ts';
import type { StreamMetrics } from './stream-metrics.ts';

export interface BronzeWriterOptions {
  readonly lake: Lake;
  readonly partitions: Partitions;
  readonly logger: Logger;
  readonly metrics?: StreamMetrics;
}

/** Commits the units; returns those the lake now records. */
export async function commitBronze(units: readonly FlushUnit[], opts: BronzeWriterOptions): Promise<FlushUnit[]> {
  const { logger: log, metrics, partitions } = opts;
  const committed: FlushUnit[] = [];
  const byTable = new Map<string, FlushUnit[]>();
  for (const u of units) {
    const list = byTable.get(u.s.input.table) ?? [];
    list.push(u);
    byTable.set(u.s.input.table, list);
  }
  for (const [tableName, parts] of byTable) {
    const table = await opts.lake.table(tableName);
    const snap = await table.refresh();
    const owned: FlushUnit[] = [];
    for (const u of parts) {
      const recorded = snap.txnVersion(u.s.appId);
      if (recorded !== u.expected) {
        log.warn({ table: tableName, appId: u.s.appId, expected: u.expected, recorded }, 'lost ownership of a partition; dropping its uncommitted work');
        metrics?.commitFailures.inc({ table: tableName, reason: 'fenced' });
        partitions.reset(u.s);
      } else owned.push(u);
    }
    if (owned.length === 0) continue;
    // One buffer for the whole commit: it moves to the writer thread without a copy.
    const rows = JsonEventsBuilder.build(owned.map((u) => u.rows));
    const t0 = performance.now();
    try {
      await table.append(rows, { txn: owned.map((u) => ({ appId: u.s.appId, version: u.next })) });
    } catch (err) {
      if (!(err instanceof ConcurrentModificationError)) throw err;
      log.warn({ table: tableName, err: err.message }, 'concurrent commit for our partitions; dropping their uncommitted work');
      metrics?.commitFailures.inc({ table: tableName, reason: 'conflict' });
      for (const u of owned) partitions.reset(u.s);
      continue;
    }
    metrics?.commitSeconds.observe({ table: tableName }, (performance.now() - t0) / 1000);
    metrics?.batchRows.observe({ table: tableName }, rows.ends.length);
    for (const u of owned) {
      // Unless the partition was reset or re-read meanwhile, the lake now records `next`.
      if (partitions.isCurrent(u.s) && u.s.committed === u.expected) u.s.committed = u.next;
      committed.push(u);
    }
  }
  return committed;
}
