/**
 * A snapshot: the state of a table at one version, obtained by replaying the log (from the last
 * checkpoint on). Snapshots are immutable: a reader that holds one keeps seeing exactly its
 * files while writers commit newer versions.
 */
import type { Action, AddAction, MetadataAction, ProtocolAction, RemoveAction, TxnAction } from './actions.ts';
import { parseStats } from './actions.ts';
import { fromDeltaSchemaString, type LakeColumn } from './schema.ts';

/** Mutable replay state; `freeze()` yields a Snapshot. */
export class SnapshotState {
  version = -1;
  timestamp = 0;
  protocol: ProtocolAction | undefined;
  metadata: MetadataAction | undefined;
  files: Map<string, AddAction>;
  tombstones: Map<string, RemoveAction>;
  txns: Map<string, TxnAction>;

  constructor(from?: Snapshot) {
    this.files = new Map(from?.files);
    this.tombstones = new Map(from?.tombstones);
    this.txns = new Map(from?.txns);
    if (from) {
      this.version = from.version;
      this.timestamp = from.timestamp;
      this.protocol = from.protocol;
      this.metadata = from.metadata;
    }
  }

  apply(actions: readonly Action[]): void {
    for (const a of actions) {
      if ('add' in a) {
        this.files.set(a.add.path, a.add);
        this.tombstones.delete(a.add.path);
      } else if ('remove' in a) {
        this.files.delete(a.remove.path);
        this.tombstones.set(a.remove.path, a.remove);
      } else if ('txn' in a) {
        this.txns.set(a.txn.appId, a.txn);
      } else if ('metaData' in a) {
        this.metadata = a.metaData;
      } else if ('protocol' in a) {
        this.protocol = a.protocol;
      }
    }
  }

  /** Applies one commit and moves to its version. */
  applyCommit(version: number, actions: readonly Action[], fallbackTimestamp: number): void {
    this.apply(actions);
    this.version = version;
    const info = actions.find((a): a is Extract<Action, { commitInfo: unknown }> => 'commitInfo' in a);
    this.timestamp = typeof info?.commitInfo.timestamp === 'number' ? info.commitInfo.timestamp : fallbackTimestamp;
  }

  freeze(): Snapshot {
    if (!this.metadata || !this.protocol) throw new Error(`table log has no ${this.metadata ? 'protocol' : 'metaData'} action up to version ${this.version}`);
    if (this.protocol.minReaderVersion > 1) {
      throw new Error(`table needs Delta reader version ${this.protocol.minReaderVersion} (features such as deletion vectors or column mapping); marketlake reads version 1`);
    }
    return new Snapshot(this.version, this.timestamp, this.protocol, this.metadata, this.files, this.tombstones, this.txns);
  }
}

export class Snapshot {
  readonly columns: readonly LakeColumn[];
  readonly partitionColumns: readonly string[];

  constructor(
    readonly version: number,
    /** Commit time of `version`, epoch ms. */
    readonly timestamp: number,
    readonly protocol: ProtocolAction,
    readonly metadata: MetadataAction,
    /** Live data files by their (encoded) log path. */
    readonly files: ReadonlyMap<string, AddAction>,
    /** Removed files not yet forgotten (vacuum and checkpoints use them). */
    readonly tombstones: ReadonlyMap<string, RemoveAction>,
    readonly txns: ReadonlyMap<string, TxnAction>,
  ) {
    this.columns = fromDeltaSchemaString(metadata.schemaString);
    this.partitionColumns = metadata.partitionColumns;
  }

  /** The latest `version` committed with a `txn` of this appId (e.g. the next Kafka offset), if any. */
  txnVersion(appId: string): number | undefined {
    return this.txns.get(appId)?.version;
  }

  /** Every appId → version recorded so far (e.g. all `stream:<group>:<topic>:<partition>` offsets). */
  txnVersions(prefix = ''): Map<string, number> {
    const out = new Map<string, number>();
    for (const [appId, t] of this.txns) if (appId.startsWith(prefix)) out.set(appId, t.version);
    return out;
  }

  addFiles(): AddAction[] {
    return [...this.files.values()];
  }

  /** Live files whose partition values match every given column (string comparison, as Delta stores them). */
  filesInPartition(partition: Readonly<Record<string, string | null>>): AddAction[] {
    const keys = Object.keys(partition);
    return this.addFiles().filter((f) => keys.every((k) => (f.partitionValues[k] ?? null) === partition[k]));
  }

  /** Row count from file statistics; undefined if a file lacks them. */
  numRecords(): number | undefined {
    let n = 0;
    for (const f of this.files.values()) {
      const s = parseStats(f);
      if (!s) return undefined;
      n += s.numRecords;
    }
    return n;
  }

  /** The distinct partitions (as value maps) of the live files. */
  partitions(): Record<string, string | null>[] {
    const seen = new Map<string, Record<string, string | null>>();
    for (const f of this.files.values()) {
      const key = JSON.stringify(this.partitionColumns.map((c) => f.partitionValues[c] ?? null));
      if (!seen.has(key)) seen.set(key, f.partitionValues);
    }
    return [...seen.values()];
  }

  configuration(key: string): string | undefined {
    return this.metadata.configuration?.[key];
  }
}
