/**
 * Optimistic concurrency: when the version a writer tried to create already exists, the commits
 * that won are checked against what the writer read and changes. Blind appends never conflict;
 * anything that overlaps (the same file removed twice, new data in partitions being replaced, the
 * same streaming appId, a schema or protocol change under a schema change) fails with a
 * ConcurrentModificationError instead of silently losing a change.
 */
import type { Action } from './actions.ts';

export interface ConflictScope {
  /** Paths this commit removes. */
  readonly removes: ReadonlySet<string>;
  /** Partitions this commit replaces: new data there from another writer would be lost. */
  readonly replacedPartitions?: readonly Readonly<Record<string, string | null>>[];
  readonly txnAppIds: ReadonlySet<string>;
  /** True when this commit changes the schema or table properties. */
  readonly changesMetadata: boolean;
  readonly partitionColumns: readonly string[];
}

export class ConcurrentModificationError extends Error {
  constructor(
    readonly table: string,
    readonly winningVersion: number,
    reason: string,
  ) {
    super(`commit to ${table} conflicts with version ${winningVersion} written concurrently: ${reason}`);
    this.name = 'ConcurrentModificationError';
  }
}

/** Returns why `winning` (a commit that landed first) conflicts with ours, or undefined. */
export function findConflict(scope: ConflictScope, winning: readonly Action[]): string | undefined {
  for (const a of winning) {
    if ('protocol' in a) return 'the table protocol changed';
    if ('metaData' in a) {
      if (scope.changesMetadata) return 'the table metadata (schema or properties) changed';
      const pc = a.metaData.partitionColumns ?? [];
      if (pc.join('\u0000') !== scope.partitionColumns.join('\u0000')) return 'the partition columns changed';
    }
    if ('txn' in a && scope.txnAppIds.has(a.txn.appId)) return `another writer committed a transaction for appId ${a.txn.appId}`;
    if ('remove' in a && scope.removes.has(a.remove.path)) return `file ${a.remove.path} was removed concurrently`;
    if ('add' in a && a.add.dataChange && scope.replacedPartitions?.length) {
      const pv = a.add.partitionValues;
      if (scope.replacedPartitions.some((p) => Object.entries(p).every(([k, v]) => (pv[k] ?? null) === v))) {
        return `new data was added concurrently to a partition being replaced (${a.add.path})`;
      }
    }
  }
  return undefined;
}
