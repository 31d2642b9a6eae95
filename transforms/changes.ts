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

export async function changedPartitions(table: DeltaTable, afterVersion: number, upToVersion: number): Promise<PartitionSet> {
  if (upToVersion <= afterVersion) return [];
  const partitionColumns = table.snapshot().partitionColumns;
  const found: Partition[] = [];
  for (let v = Math.max(afterVersion + 1, 0); v <= upToVersion; v++) {
    const actions = await table.store.readCommit(v);
    if (!actions) return 'all';
    const info = actions.find((a) => 'commitInfo' in a);
    const computed = info && 'commitInfo' in info ? info.commitInfo.operationParameters?.[COMPUTED_PARTITIONS_PARAMETER] : undefined;
    if (typeof computed === 'string' && !actions.some((a) => 'metaData' in a)) {
      found.push(...(JSON.parse(computed) as Partition[]));
      continue;
    }
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
  }
  return dedupePartitions(found);
}
