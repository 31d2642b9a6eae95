/**
 * A lake table: a directory of Parquet files plus its Delta log. Every change is one atomic
 * commit, serialised by optimistic concurrency (see delta/conflicts.ts); readers take immutable
 * snapshots. See lake/index.ts for the overview.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ENGINE_INFO, inPartition, type Action, type AddAction, type CommitInfoAction, type RemoveAction } from './delta/actions.ts';
import { writeCheckpoint } from './delta/checkpoint.ts';
import { checksumOf } from './delta/checksum.ts';
import { findConflict, MaxCommitAttemptsExceededError, type ConflictScope } from './delta/conflicts.ts';
import { reportCommit } from './commit-metrics.ts';
import { advanceSnapshot, commitTimestamp, loadSnapshot, readCommitsFrom, TableNotFoundError } from './delta/loader.ts';
import { VersionAlreadyExistsError, LogStore } from './delta/log-store.ts';
import { toDeltaSchemaString, validateColumns, type LakeColumn } from './delta/schema.ts';
import type { Snapshot } from './delta/snapshot.ts';
import type { RowBatch } from './json-events.ts';
import { writeRowBatch, type RowWriter } from './row-writer.ts';
import type { TableDefinition } from './tables/table-definition.ts';
import { writeSelect, type LakeRow, type ParquetCompression } from './writer.ts';

export type { TableDefinition };

/** A streaming position recorded in the same commit as the data: appId → version (e.g. next Kafka offset). */
export interface TxnMark {
  readonly appId: string;
  readonly version: number;
}

export interface WriteOptions {
  /** Recorded atomically with the data (Delta `txn` actions). */
  readonly txn?: readonly TxnMark[];
  readonly compression?: ParquetCompression;
  /** Dictionary encoding of the files' columns (DataFileSpec.dictionary; default on). */
  readonly dictionary?: boolean;
  /** Extra `commitInfo.operationParameters`. */
  readonly parameters?: Record<string, unknown>;
}

/** How `stageFromSql` writes files: the codec, dictionaries, the file split, the snapshot read. */
export type StageOptions = Pick<ReplaceOptions, 'compression' | 'dictionary' | 'fileSplit' | 'readSnapshot'>;

export interface ReplaceOptions extends WriteOptions {
  /**
   * The partitions to replace (partition column → value, e.g. `{ symbol: 'BTCUSDT', date: '2024-03-01' }`;
   * a subset of the partition columns selects every partition that matches). Defaults to the
   * partitions the new rows fall into. Every new row must fall into one of them.
   */
  readonly partitions?: readonly Readonly<Record<string, string>>[];
  /**
   * The snapshot the new rows were computed from (e.g. rows merged with the partition's current
   * ones). A change committed to those partitions after it then conflicts instead of being
   * silently replaced. Default: the latest snapshot, read at the start of the call.
   */
  readonly readSnapshot?: Snapshot;
  /** Rows of one partition split further into files (writer.ts `DataFileSpec.fileSplit`). */
  readonly fileSplit?: string;
}

/** replaceFilesFromSql: which files the new rows replace. */
export interface ReplaceFilesOptions extends WriteOptions {
  /** Files of `readSnapshot` the commit removes (their rows that stay must be among the new rows). */
  readonly remove: readonly AddAction[];
  /**
   * The partitions the commit changes (every removed file's and every new row's): a change
   * committed to them since `readSnapshot` conflicts.
   */
  readonly partitions: readonly Readonly<Record<string, string>>[];
  /** The snapshot `remove` (and any rows kept from it) was read from. */
  readonly readSnapshot: Snapshot;
  readonly fileSplit?: string;
}

export interface CommitResult {
  readonly version: number;
  readonly added: readonly AddAction[];
  readonly removed: readonly RemoveAction[];
  /** Rows written by this commit. */
  readonly rows: number;
}

export interface HistoryEntry {
  readonly version: number;
  readonly timestamp: Date;
  readonly operation: string;
  readonly operationParameters: Record<string, unknown>;
  readonly readVersion?: number;
  readonly isBlindAppend?: boolean;
  readonly engineInfo?: string;
  readonly addedFiles: number;
  readonly removedFiles: number;
  readonly addedRows?: number;
}

/** Delta's default; our own tables set it from the definition (see DEFAULT_CHECKPOINT_INTERVAL). */
export const DEFAULT_CHECKPOINT_INTERVAL = 10;
const MAX_COMMIT_ATTEMPTS = 1000;

export interface CommitRequest {
  readonly actions: readonly Action[];
  readonly operation: string;
  readonly parameters?: Record<string, unknown>;
  /** The snapshot the change was computed from. */
  readonly readSnapshot: Snapshot;
  readonly scope: ConflictScope;
  readonly isBlindAppend?: boolean;
}

export class DeltaTable {
  /** Writes appended rows into data files; a WriterThread's `write` moves that off this thread. */
  rowWriter: RowWriter = writeRowBatch;
  private current: Snapshot;
  private refreshing: Promise<Snapshot> | undefined;

  private constructor(
    readonly dir: string,
    readonly store: LogStore,
    snapshot: Snapshot,
  ) {
    this.current = snapshot;
  }

  /** Opens an existing table at its latest version. */
  static async open(dir: string): Promise<DeltaTable> {
    const abs = path.resolve(dir);
    const store = new LogStore(abs);
    return new DeltaTable(abs, store, await loadSnapshot(store));
  }

  /**
   * Creates a table (version 0: protocol + metaData). If another process creates it at the same
   * moment, the loser opens the winner's table when the schemas agree.
   */
  static async create(dir: string, def: TableDefinition): Promise<DeltaTable> {
    validateColumns(def.columns);
    const partitionColumns = [...(def.partitionColumns ?? [])];
    for (const p of partitionColumns) {
      const col = def.columns.find((c) => c.name === p);
      if (!col) throw new Error(`partition column ${p} is not a column of ${def.name}`);
      if (col.nullable !== false) throw new Error(`partition column ${p} of ${def.name} must be declared nullable: false`);
    }
    const abs = path.resolve(dir);
    const store = new LogStore(abs);
    await fs.mkdir(store.logDir, { recursive: true });
    const now = Date.now();
    const actions: Action[] = [
      { commitInfo: { timestamp: now, operation: 'CREATE TABLE', operationParameters: { partitionBy: JSON.stringify(partitionColumns) }, isBlindAppend: true, engineInfo: ENGINE_INFO } },
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      {
        metaData: {
          id: randomUUID(),
          name: def.name,
          description: def.description ?? null,
          format: { provider: 'parquet', options: {} },
          schemaString: toDeltaSchemaString(def.columns),
          partitionColumns,
          configuration: { ...(def.configuration ?? {}) },
          createdTime: now,
        },
      },
    ];
    let created = false;
    try {
      await store.writeCommit(0, actions);
      created = true;
    } catch (err) {
      if (!(err instanceof VersionAlreadyExistsError)) throw err;
    }
    const table = await DeltaTable.open(abs);
    if (created && table.current.version === 0) await table.recordChecksum(0, table.current);
    return table;
  }

  /** Opens the table, creating it from `def` when it does not exist yet. */
  static async openOrCreate(dir: string, def: TableDefinition): Promise<DeltaTable> {
    try {
      return await DeltaTable.open(dir);
    } catch (err) {
      if (!(err instanceof TableNotFoundError)) throw err;
      return DeltaTable.create(dir, def);
    }
  }

  static async exists(dir: string): Promise<boolean> {
    return new LogStore(path.resolve(dir)).exists();
  }

  /** The snapshot last read or written by this handle (no I/O). */
  snapshot(): Snapshot {
    return this.current;
  }

  get version(): number {
    return this.current.version;
  }

  /** Reads only the log entries newer than the cached snapshot and returns the latest snapshot. */
  async refresh(): Promise<Snapshot> {
    this.refreshing ??= (async () => {
      try {
        const base = this.current;
        const commits = await readCommitsFrom(this.store, base.version + 1);
        const next = await advanceSnapshot(this.store, base, commits);
        if (next.version > this.current.version) this.current = next;
        return this.current;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Time travel: the snapshot at a version. */
  async snapshotAt(version: number): Promise<Snapshot> {
    if (version === this.current.version) return this.current;
    return loadSnapshot(this.store, version);
  }

  /** Time travel: the latest snapshot committed at or before `at`. */
  async snapshotAsOf(at: Date | number): Promise<Snapshot> {
    const t = typeof at === 'number' ? at : at.getTime();
    const { commits } = await this.store.list();
    const ts = async (v: number) => commitTimestamp((await this.store.readCommit(v)) ?? []) ?? (await this.store.commitMtime(v)) ?? 0;
    // Our writers keep commit timestamps increasing, so a binary search over the log is enough.
    let lo = 0;
    let hi = commits.length - 1;
    if (hi < 0 || (await ts(commits[0])) > t) throw new RangeError(`no version of ${this.dir} exists at or before ${new Date(t).toISOString()}`);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((await ts(commits[mid])) <= t) lo = mid;
      else hi = mid - 1;
    }
    return this.snapshotAt(commits[lo]);
  }

  /** Appends rows (or JSON events, see json-events.ts) in one commit (optionally with streaming positions). */
  async append(rows: RowBatch, options: WriteOptions = {}): Promise<CommitResult> {
    const read = this.current;
    const added = await this.rowWriter(this.fileSpec(read, options), rows);
    return this.commitData(read, added, [], 'WRITE', { mode: 'Append' }, options, undefined);
  }

  /** Appends the result of a SELECT run on `conn` (e.g. a gold transform over the lake views). */
  async appendFromSql(conn: DuckDBConnection, selectSql: string, options: WriteOptions = {}): Promise<CommitResult> {
    const read = this.current;
    const added = await writeSelect(conn, this.fileSpec(read, options), selectSql);
    return this.commitData(read, added, [], 'WRITE', { mode: 'Append' }, options, undefined);
  }

  /** Replaces whole partitions with new rows in one commit (removes + adds): backfills, recomputation. */
  async replacePartitions(rows: readonly LakeRow[], options: ReplaceOptions = {}): Promise<CommitResult> {
    const read = options.readSnapshot ?? (await this.refresh());
    const added = await this.rowWriter(this.fileSpec(read, options), rows);
    return this.replaceWith(read, added, options);
  }

  /** replacePartitions with the rows of a SELECT run on `conn`. */
  async replacePartitionsFromSql(conn: DuckDBConnection, selectSql: string, options: ReplaceOptions = {}): Promise<CommitResult> {
    const read = options.readSnapshot ?? (await this.refresh());
    // With listed partitions, a row with a null partition value lands outside them and
    // replaceWith refuses the commit (RowsOutsidePartitionsError): no second pass to look for one.
    const added = await writeSelect(conn, this.fileSpec(read, options), selectSql, { checkNullPartitions: !options.partitions });
    return this.replaceWith(read, added, options);
  }

  /**
   * Replaces some files of partitions, not whole partitions: removes `remove` and adds the rows of
   * a SELECT, in one commit. A table stored a month a partition with a file a day replaces a
   * recomputed day's file, and rewrites the other days of a file that holds more (the caller
   * selects them among the new rows), leaving the month's other files alone.
   */
  async replaceFilesFromSql(conn: DuckDBConnection, selectSql: string, options: ReplaceFilesOptions): Promise<CommitResult> {
    return this.replaceFilesWith(await this.stageFromSql(conn, selectSql, options), options);
  }

  /**
   * Writes the rows of a SELECT as files of this table without committing them: a writer that
   * must wait before it commits (a gold model whose input's commit is under way) writes first,
   * then commits them with `replacePartitionsWith` / `replaceFilesWith`, or deletes them with
   * `discardStaged`. Until then no reader sees them (and vacuum would delete them). Rows must
   * have their partition values (the commit refuses files outside its partitions).
   */
  async stageFromSql(conn: DuckDBConnection, selectSql: string, options: StageOptions = {}): Promise<AddAction[]> {
    return writeSelect(conn, this.fileSpec(options.readSnapshot ?? this.current, options), selectSql, { checkNullPartitions: false });
  }

  /** Deletes files `stageFromSql` wrote that will not be committed. */
  async discardStaged(staged: readonly AddAction[]): Promise<void> {
    await removeWrittenFiles(this.dir, staged);
  }

  /** replacePartitionsFromSql with files `stageFromSql` wrote (deleted when the commit fails). */
  async replacePartitionsWith(staged: readonly AddAction[], options: ReplaceOptions = {}): Promise<CommitResult> {
    const read = options.readSnapshot ?? (await this.refresh());
    return this.replaceWith(read, [...staged], options);
  }

  /** replaceFilesFromSql with files `stageFromSql` wrote (deleted when the commit fails). */
  async replaceFilesWith(staged: readonly AddAction[], options: ReplaceFilesOptions): Promise<CommitResult> {
    const added = [...staged];
    const partitions = options.partitions;
    await this.refuseStrays(added, [...added, ...options.remove], partitions);
    return this.commitData(options.readSnapshot, added, [...options.remove], 'WRITE', { mode: 'Overwrite', partitions: JSON.stringify(partitions), replacedFiles: options.remove.length }, options, partitions);
  }

  /** Refuses a replace when one of `files` lies outside its `partitions`, deleting the files it wrote (`added`). */
  private async refuseStrays(added: readonly AddAction[], files: readonly Pick<AddAction, 'partitionValues'>[], partitions: readonly Readonly<Record<string, string>>[]): Promise<void> {
    const stray = files.find((f) => !inAnyPartition(f.partitionValues, partitions));
    if (!stray) return;
    await removeWrittenFiles(this.dir, added);
    throw new RowsOutsidePartitionsError(this.dir, stray.partitionValues);
  }

  private async replaceWith(read: Snapshot, added: AddAction[], options: ReplaceOptions): Promise<CommitResult> {
    if (read.partitionColumns.length === 0 && !options.partitions) {
      // An unpartitioned table has one partition: the whole table.
      return this.commitData(read, added, read.addFiles(), 'WRITE', { mode: 'Overwrite' }, options, [{}]);
    }
    const partitions = options.partitions ?? dedupePartitions(added.map((a) => a.partitionValues as Record<string, string>));
    await this.refuseStrays(added, added, partitions);
    const removed = read.addFiles().filter((f) => inAnyPartition(f.partitionValues, partitions));
    return this.commitData(read, added, removed, 'WRITE', { mode: 'Overwrite', partitions: JSON.stringify(partitions) }, options, partitions);
  }

  private async commitData(
    read: Snapshot,
    added: AddAction[],
    removedFiles: AddAction[],
    operation: string,
    parameters: Record<string, unknown>,
    options: WriteOptions,
    replacedPartitions: readonly Record<string, string | null>[] | undefined,
  ): Promise<CommitResult> {
    const now = Date.now();
    const removed: RemoveAction[] = removedFiles.map((f) => ({
      path: f.path,
      deletionTimestamp: now,
      dataChange: true,
      extendedFileMetadata: true,
      partitionValues: f.partitionValues,
      size: f.size,
    }));
    const txns = options.txn ?? [];
    const actions: Action[] = [
      ...txns.map((t): Action => ({ txn: { appId: t.appId, version: t.version, lastUpdated: now } })),
      ...removed.map((r): Action => ({ remove: r })),
      ...added.map((a): Action => ({ add: a })),
    ];
    const rows = added.reduce((n, a) => n + (a.stats ? (JSON.parse(a.stats) as { numRecords: number }).numRecords : 0), 0);
    try {
      const version = await this.commit({
        actions,
        operation,
        parameters: { ...parameters, ...(options.parameters ?? {}) },
        readSnapshot: read,
        isBlindAppend: removed.length === 0,
        scope: {
          removes: new Set(removed.map((r) => r.path)),
          replacedPartitions,
          txnAppIds: new Set(txns.map((t) => t.appId)),
          changesMetadata: false,
          partitionColumns: read.partitionColumns,
        },
      });
      return { version, added, removed, rows };
    } catch (err) {
      // The files never became part of the table: delete them now rather than leave them to vacuum.
      await removeWrittenFiles(this.dir, added);
      throw err;
    }
  }

  /**
   * The commit primitive: writes the next log entry exclusively; when another writer won that
   * version, checks the winning commits for conflicts and retries on top of them.
   * Returns the committed version.
   */
  async commit(req: CommitRequest): Promise<number> {
    let attempt = req.readSnapshot.version + 1;
    let latestKnown = this.current.version >= req.readSnapshot.version ? this.current : req.readSnapshot;
    for (let tries = 0; tries < MAX_COMMIT_ATTEMPTS; tries++) {
      // Conflicts between our read version and the version we are about to write.
      if (attempt > req.readSnapshot.version + 1 || latestKnown.version >= attempt) {
        const commits = await readCommitsFrom(this.store, Math.max(req.readSnapshot.version + 1, 0));
        for (const c of commits) {
          const conflict = findConflict(this.dir, req.scope, c.version, c.actions);
          if (conflict) throw conflict;
        }
        attempt = Math.max(attempt, (commits.at(-1)?.version ?? attempt - 1) + 1);
      }
      const info: CommitInfoAction = {
        // Keep timestamps increasing so that time travel by timestamp is well defined.
        timestamp: Math.max(Date.now(), latestKnown.timestamp + 1),
        operation: req.operation,
        operationParameters: req.parameters ?? {},
        readVersion: req.readSnapshot.version,
        isBlindAppend: req.isBlindAppend ?? false,
        engineInfo: ENGINE_INFO,
      };
      try {
        await this.store.writeCommit(attempt, [{ commitInfo: info }, ...req.actions]);
      } catch (err) {
        if (!(err instanceof VersionAlreadyExistsError)) throw err;
        latestKnown = await this.refresh();
        attempt += 1;
        continue;
      }
      await this.afterCommit(attempt);
      reportCommit(this.dir, attempt - (req.readSnapshot.version + 1));
      return attempt;
    }
    throw new MaxCommitAttemptsExceededError(this.dir, attempt, MAX_COMMIT_ATTEMPTS);
  }

  private async afterCommit(version: number): Promise<void> {
    const at = await this.snapshotThrough(version);
    if (at) await this.recordChecksum(version, at);
    const snap = await this.refresh();
    const interval = Number(snap.configuration('delta.checkpointInterval') ?? DEFAULT_CHECKPOINT_INTERVAL);
    if (interval > 0 && version % interval === 0 && snap.version >= version) {
      const target = snap.version === version ? snap : await this.snapshotAt(version);
      // A failed checkpoint costs only opening speed; the commit itself is durable.
      await writeCheckpoint(this.store, target).catch((err) => process.emitWarning(`checkpoint ${version} of ${this.dir} failed: ${(err as Error).message}`));
    }
  }

  /**
   * The snapshot at exactly `version` (just committed by this handle), advancing the cached one
   * through the commits up to it only; undefined when this handle has already moved past it.
   */
  private async snapshotThrough(version: number): Promise<Snapshot | undefined> {
    const base = this.current;
    if (base.version === version) return base;
    if (base.version > version) return undefined;
    const commits = [];
    for (let v = base.version + 1; v <= version; v++) {
      const actions = await this.store.readCommit(v);
      if (!actions) return undefined;
      commits.push({ version: v, actions });
    }
    const snap = await advanceSnapshot(this.store, base, commits);
    if (snap.version > this.current.version) this.current = snap;
    return snap;
  }

  /**
   * Writes the version checksum (`<version>.crc`) of a version this handle committed, from the
   * snapshot at exactly that version, so that readers can tell a damaged log from a good one
   * (delta/checksum.ts). A failure costs only that check: the commit itself is durable. (When a
   * concurrent refresh has already moved this handle past the version, the optional checksum is
   * left out rather than rebuilt from the log.)
   */
  private async recordChecksum(version: number, at: Snapshot): Promise<void> {
    try {
      await this.store.writeChecksum(version, checksumOf(at));
    } catch (err) {
      process.emitWarning(`version checksum ${version} of ${this.dir} not written: ${(err as Error).message}`);
    }
  }

  /** Writes a checkpoint of the current version now. */
  async checkpoint(): Promise<void> {
    await writeCheckpoint(this.store, await this.refresh());
  }

  /** Schema evolution: adds nullable columns; files written before read them as null. */
  async addColumns(columns: readonly LakeColumn[]): Promise<number> {
    const read = await this.refresh();
    const all = [...read.columns, ...columns.map((c) => ({ ...c, nullable: true }))];
    validateColumns(all);
    for (const c of columns) if (c.derivedFrom) throw new Error(`added column ${c.name} cannot be derived: old files would not have it`);
    return this.commit({
      actions: [{ metaData: { ...read.metadata, schemaString: toDeltaSchemaString(all) } }],
      operation: 'ADD COLUMNS',
      parameters: { columns: JSON.stringify(columns.map((c) => ({ name: c.name, type: c.type }))) },
      readSnapshot: read,
      scope: { removes: new Set(), txnAppIds: new Set(), changesMetadata: true, partitionColumns: read.partitionColumns },
    });
  }

  /** Commit history, newest first. */
  async history(limit = 20): Promise<HistoryEntry[]> {
    const { commits } = await this.store.list();
    const out: HistoryEntry[] = [];
    for (const v of commits.slice(-limit).reverse()) {
      const actions = await this.store.readCommit(v);
      if (!actions) continue;
      const info = actions.find((a): a is { commitInfo: CommitInfoAction } => 'commitInfo' in a)?.commitInfo;
      let addedRows: number | undefined = 0;
      let addedFiles = 0;
      let removedFiles = 0;
      for (const a of actions) {
        if ('add' in a) {
          addedFiles += 1;
          const n = a.add.stats ? (JSON.parse(a.add.stats) as { numRecords?: number }).numRecords : undefined;
          addedRows = n === undefined || addedRows === undefined ? undefined : addedRows + n;
        } else if ('remove' in a) removedFiles += 1;
      }
      out.push({
        version: v,
        timestamp: new Date(info?.timestamp ?? (await this.store.commitMtime(v)) ?? 0),
        operation: info?.operation ?? 'UNKNOWN',
        operationParameters: (info?.operationParameters as Record<string, unknown>) ?? {},
        readVersion: info?.readVersion,
        isBlindAppend: info?.isBlindAppend,
        engineInfo: info?.engineInfo,
        addedFiles,
        removedFiles,
        addedRows,
      });
    }
    return out;
  }

  /** Absolute file-system path of a data file named in the log. */
  filePath(deltaPath: string): string {
    return path.join(this.dir, decodeURIComponent(deltaPath));
  }

  private fileSpec(read: Snapshot, options: WriteOptions & { fileSplit?: string }) {
    return {
      fileSplit: options.fileSplit,
      tableDir: this.dir,
      columns: read.columns,
      partitionColumns: read.partitionColumns,
      compression: options.compression ?? ((read.configuration('marketlake.parquet.compression') as ParquetCompression | undefined) ?? 'zstd'),
      dictionary: options.dictionary,
    };
  }
}

/** replacePartitions was given rows that fall outside the partitions it was told to replace. */
export class RowsOutsidePartitionsError extends Error {
  constructor(
    readonly table: string,
    readonly partitionValues: Readonly<Record<string, string | null>>,
  ) {
    super(`replacePartitions on ${table}: new rows fall outside the partitions being replaced (${JSON.stringify(partitionValues)})`);
    this.name = 'RowsOutsidePartitionsError';
  }
}

function inAnyPartition(values: Readonly<Record<string, string | null>>, partitions: readonly Readonly<Record<string, string>>[]): boolean {
  return partitions.some((p) => inPartition(values, p));
}

function dedupePartitions(values: Record<string, string>[]): Record<string, string>[] {
  const seen = new Map<string, Record<string, string>>();
  for (const v of values) seen.set(JSON.stringify(v), v);
  return [...seen.values()];
}

async function removeWrittenFiles(dir: string, added: readonly AddAction[]): Promise<void> {
  await Promise.all(added.map((a) => fs.rm(path.join(dir, decodeURIComponent(a.path)), { force: true })));
}
