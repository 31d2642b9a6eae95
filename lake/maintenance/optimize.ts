/**
 * optimize: compacts each partition's small files into one file, in one commit. The new files
 * hold exactly the same rows (dataChange = false), so streaming readers that follow only data
 * changes can skip the commit, and concurrent appends do not conflict with it.
 */
import { inPartition, parseStats, type Action, type AddAction } from '../delta/actions.ts';
import { duckdbType } from '../delta/schema.ts';
import { sqlIdentifier, sqlLiteral } from '../sql.ts';
import type { Snapshot } from '../delta/snapshot.ts';
import { withLakeConnection } from '../duckdb.ts';
import type { DeltaTable } from '../table.ts';
import { writeSelect } from '../writer.ts';

export interface OptimizeOptions {
  /** Only these partitions (partition column → value; a subset of columns matches more). Default: all. */
  readonly partitions?: readonly Readonly<Record<string, string>>[];
  /** Partitions left alone (same matching), e.g. a month whose days are kept a file each. */
  readonly except?: readonly Readonly<Record<string, string>>[];
  /** Files at least this large are left alone (default 128 MiB). */
  readonly targetFileBytes?: number;
  /** A partition is compacted when it has at least this many small files (default 2). */
  readonly minFiles?: number;
}

export interface OptimizeResult {
  /** Undefined when there was nothing to compact (no commit). */
  readonly version?: number;
  readonly partitionsCompacted: number;
  readonly filesRemoved: number;
  readonly filesAdded: number;
  readonly rows: number;
}

export async function optimize(table: DeltaTable, options: OptimizeOptions = {}): Promise<OptimizeResult> {
  const read = await table.refresh();
  const target = options.targetFileBytes ?? 128 * 1024 * 1024;
  const minFiles = options.minFiles ?? 2;
  const groups = new Map<string, AddAction[]>();
  for (const f of read.files.values()) {
    if (f.size >= target) continue;
    if (options.partitions && !options.partitions.some((p) => inPartition(f.partitionValues, p))) continue;
    if (options.except?.some((p) => inPartition(f.partitionValues, p))) continue;
    const key = JSON.stringify(read.partitionColumns.map((c) => f.partitionValues[c] ?? null));
    const g = groups.get(key);
    if (g) g.push(f);
    else groups.set(key, [f]);
  }
  const work = [...groups.values()].filter((g) => g.length >= minFiles);
  if (work.length === 0) return { partitionsCompacted: 0, filesRemoved: 0, filesAdded: 0, rows: 0 };

  const added: AddAction[] = [];
  const removed: AddAction[] = [];
  try {
    await withLakeConnection(async (conn) => {
      for (const files of work) {
        const adds = await writeSelect(conn, { tableDir: table.dir, columns: read.columns, partitionColumns: read.partitionColumns, compression: compressionOf(read) }, compactSelect(table, read, files));
        for (const a of adds) added.push({ ...a, dataChange: false });
        removed.push(...files);
      }
    });
  } catch (err) {
    await Promise.all(added.map((a) => import('node:fs/promises').then((fs) => fs.rm(table.filePath(a.path), { force: true }))));
    throw err;
  }
  const before = removed.reduce((n, f) => n + (parseStats(f)?.numRecords ?? 0), 0);
  const after = added.reduce((n, f) => n + (parseStats(f)?.numRecords ?? 0), 0);
  if (before !== after) throw new Error(`optimize of ${table.dir}: row count changed (${before} → ${after}); nothing committed`);
  const now = Date.now();
  const actions: Action[] = [
    ...removed.map((f): Action => ({ remove: { path: f.path, deletionTimestamp: now, dataChange: false, extendedFileMetadata: true, partitionValues: f.partitionValues, size: f.size } })),
    ...added.map((a): Action => ({ add: a })),
  ];
  const version = await table.commit({
    actions,
    operation: 'OPTIMIZE',
    parameters: { targetSize: String(target), predicate: JSON.stringify(options.partitions ?? []) },
    readSnapshot: read,
    isBlindAppend: false,
    scope: { removes: new Set(removed.map((f) => f.path)), txnAppIds: new Set(), changesMetadata: false, partitionColumns: read.partitionColumns },
  });
  return { version, partitionsCompacted: work.length, filesRemoved: removed.length, filesAdded: added.length, rows: after };
}

/** The rows of some files of one partition, with the partition values as constants. */
function compactSelect(table: DeltaTable, snapshot: Snapshot, files: readonly AddAction[]): string {
  const partitionColumns = new Set(snapshot.partitionColumns);
  const present = new Set<string>();
  let unknown = false;
  for (const f of files) {
    const s = parseStats(f);
    if (!s?.nullCount) unknown = true;
    else for (const k of Object.keys(s.nullCount)) present.add(k);
  }
  const pv = files[0].partitionValues;
  const projection = snapshot.columns.map((c) => {
    if (partitionColumns.has(c.name)) return `CAST(${pv[c.name] === null || pv[c.name] === undefined ? 'NULL' : sqlLiteral(pv[c.name]!)} AS ${duckdbType(c.type)}) AS ${sqlIdentifier(c.name)}`;
    if (unknown || present.has(c.name)) return sqlIdentifier(c.name);
    return `CAST(NULL AS ${duckdbType(c.type)}) AS ${sqlIdentifier(c.name)}`;
  });
  return `SELECT ${projection.join(', ')} FROM read_parquet([${files.map((f) => sqlLiteral(table.filePath(f.path))).join(', ')}], union_by_name = true, hive_partitioning = false)`;
}

function compressionOf(s: Snapshot) {
  return (s.configuration('marketlake.parquet.compression') as 'zstd' | 'snappy' | undefined) ?? 'zstd';
}
