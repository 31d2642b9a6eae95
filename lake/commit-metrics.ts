/**
 * Commit conflicts on the Lake board (`marketlake_lake_commit_conflicts_total{table}`): every
 * commit adds the number of versions other writers committed between its read snapshot and its
 * own version (the times it had to check their commits and move on top of them; 0 when it won at
 * once, so a table this process writes has a series from its first commit). A service turns the
 * counting on for its registry once, at start; the lake itself holds no registry.
 */
import path from 'node:path';
import type { Registry } from 'prom-client';
import { lakeTableMetrics } from '../common/metrics-catalog.ts';

type CommitListener = (table: string, conflicts: number) => void;
let listener: CommitListener | undefined;

/** `layer/name` of a table directory (`.../lake/silver/candles` → `silver/candles`). */
export function tableNameOf(dir: string): string {
  return `${path.basename(path.dirname(dir))}/${path.basename(dir)}`;
}

/** Called by DeltaTable.commit after each successful commit. */
export function reportCommit(dir: string, conflicts: number): void {
  listener?.(tableNameOf(dir), conflicts);
}

/** Counts this process's commit conflicts on `registry` (undefined: stop counting). */
export function countCommitConflicts(registry: Registry | undefined): void {
  if (!registry) {
    listener = undefined;
    return;
  }
  const metrics = lakeTableMetrics(registry);
  listener = (table, conflicts) => metrics.commitConflicts.inc({ table }, conflicts);
}
