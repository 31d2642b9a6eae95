/**
 * Which partitions of a lake table changed between two versions, read from its Delta log: every
 * `add` and `remove` names its partition. An unpartitioned table, a schema change, or a log entry
 * that is gone (cleaned up) counts as "everything changed".
 *
 * Partitions come out by day: a table stored a file a month (month-partitions.ts) names the days
 * its transform computed in the commit (`computedPartitions`), and another commit to it (e.g.
 * retention) changes every day of the months it touches.
 */
import type { DeltaTable } from '../lake/index.ts';
import { COMPUTED_PARTITIONS_PARAMETER, asDays } from './month-partitions.ts';
import { dedupePartitions, type Partition, type PartitionSet } from './partitions.ts';

/**
 * What each commit of a run's tables changed, worked out once a run: the models reading one table
 * (silver/candles: indicators, coverage, market_overview) read the same commits since their last
 * runs (a stream's commits of an hour, for an hourly build). Keyed by table directory and version:
 * a commit never changes, and no table is created again under the same directory during a run.
 */
export type CommitChanges = Map<string, readonly Partition[] | 'all'>;

export async function changedPartitions(table: DeltaTable, afterVersion: number, upToVersion: number, known: CommitChanges = new Map()): Promise<PartitionSet> {
  if (upToVersion <= afterVersion) return [];
  const partitionColumns = table.snapshot().partitionColumns;
  const found: Partition[] = [];
  for (let v = Math.max(afterVersion + 1, 0); v <= upToVersion; v++) {
    const key = `${table.dir}\u0000${partitionColumns.join(',')}\u0000${v}`;
    let changed = known.get(key);
    if (!changed) known.set(key, (changed = await commitChanges(table, v, partitionColumns)));
    if (changed === 'all') return 'all';
    found.push(...changed);
  }
  return dedupePartitions(found);
}

/** The partitions one commit changed (by day), or 'all'. */
async function commitChanges(table: DeltaTable, v: number, partitionColumns: readonly string[]): Promise<readonly Partition[] | 'all'> {
  const found: Partition[] = [];
  const actions = await table.store.readCommit(v);
  if (!actions) return 'all';
  const info = actions.find((a) => 'commitInfo' in a);
  const computed = info && 'commitInfo' in info ? info.commitInfo.operationParameters?.[COMPUTED_PARTITIONS_PARAMETER] : undefined;
  if (typeof computed === 'string' && !actions.some((a) => 'metaData' in a)) return JSON.parse(computed) as Partition[];
  for (const a of actions) {
    if ('metaData' in a) return 'all';
    const file = 'add' in a ? a.add : 'remove' in a ? a.remove : undefined;
    // Compaction (optimize) rewrites files without changing data: not a change.
    if (!file || file.dataChange === false) continue;
    const values = file.partitionValues ?? {};
    if (partitionColumns.length === 0) return 'all';
    const p: Record<string, string> = {};
    for (const c of partitionColumns) {
      const value = values[c];
      if (value === null || value === undefined) return 'all';
      p[c] = value;
    }
    found.push(...asDays(p));
  }
  return found;
}
