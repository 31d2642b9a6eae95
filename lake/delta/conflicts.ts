/**
 * Optimistic concurrency: when the version a writer tried to create already exists, the commits
 * that won are checked against what the writer read and changes. Blind appends never conflict;
 * anything that overlaps (the same file removed twice, new data in partitions being replaced, the
 * same streaming appId, a schema or protocol change under a schema change) fails with a
 * ConcurrentModificationError (one subclass per kind, as in Delta and delta-rs) instead of
 * silently losing a change.
 */
import { inPartition, type Action } from './actions.ts';

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

/**
 * A commit that could not be made (the way delta-rs names it: `CommitFailedError`). Callers branch
 * on the subclasses with `instanceof`, never on the message.
 */
export class CommitFailedError extends Error {
  constructor(
    /** The table's directory. */
    readonly table: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Another writer committed first, and what it did overlaps with this commit (Delta's
 * ConcurrentModificationException and its kinds). Retrying means reading the table again and
 * recomputing the change.
 */
export class ConcurrentModificationError extends CommitFailedError {
  constructor(
    table: string,
    /** The version another writer committed that conflicts with this commit. */
    readonly winningVersion: number,
    readonly reason: string,
  ) {
    super(table, `commit to ${table} conflicts with version ${winningVersion} written concurrently: ${reason}`);
  }
}

/** The winning commit changed the table protocol. */
export class ProtocolChangedError extends ConcurrentModificationError {}

/** The winning commit changed the schema, the table properties or the partition columns. */
export class MetadataChangedError extends ConcurrentModificationError {}

/** The winning commit recorded a position for the same streaming appId (Delta `txn`): two writers own one stream. */
export class ConcurrentTransactionError extends ConcurrentModificationError {
  constructor(table: string, winningVersion: number, readonly appId: string) {
    super(table, winningVersion, `another writer committed a transaction for appId ${appId}`);
  }
}

/** The winning commit removed a file this commit removes too (e.g. optimize against a replace). */
export class ConcurrentDeleteDeleteError extends ConcurrentModificationError {
  constructor(table: string, winningVersion: number, readonly path: string) {
    super(table, winningVersion, `file ${path} was removed concurrently`);
  }
}

/** The winning commit added data to a partition this commit replaces: that data would be lost. */
export class ConcurrentAppendError extends ConcurrentModificationError {
  constructor(table: string, winningVersion: number, readonly path: string) {
    super(table, winningVersion, `new data was added concurrently to a partition being replaced (${path})`);
  }
}

/** The commit lost the race for the next version this many times in a row. */
export class MaxCommitAttemptsExceededError extends ConcurrentModificationError {
  constructor(table: string, lastVersion: number, readonly attempts: number) {
    super(table, lastVersion, `gave up after ${attempts} attempts`);
  }
}

/**
 * The conflict between this commit (its scope) and `winning`, the actions of a commit that
 * landed first at `winningVersion` of `table`; undefined when they do not overlap.
 */
export function findConflict(table: string, scope: ConflictScope, winningVersion: number, winning: readonly Action[]): ConcurrentModificationError | undefined {
  for (const a of winning) {
    if ('protocol' in a) return new ProtocolChangedError(table, winningVersion, 'the table protocol changed');
    if ('metaData' in a) {
      if (scope.changesMetadata) return new MetadataChangedError(table, winningVersion, 'the table metadata (schema or properties) changed');
      const pc = a.metaData.partitionColumns ?? [];
      if (pc.join('\u0000') !== scope.partitionColumns.join('\u0000')) return new MetadataChangedError(table, winningVersion, 'the partition columns changed');
    }
    if ('txn' in a && scope.txnAppIds.has(a.txn.appId)) return new ConcurrentTransactionError(table, winningVersion, a.txn.appId);
    if ('remove' in a && scope.removes.has(a.remove.path)) return new ConcurrentDeleteDeleteError(table, winningVersion, a.remove.path);
    if ('add' in a && a.add.dataChange && scope.replacedPartitions?.length) {
      const pv = a.add.partitionValues;
      if (scope.replacedPartitions.some((p) => inPartition(pv, p))) {
        return new ConcurrentAppendError(table, winningVersion, a.add.path);
      }
    }
  }
  return undefined;
}
