/**
 * SQL for the view of one table snapshot: a `read_parquet` over exactly the snapshot's files
 * (never a glob, which would also see uncommitted or removed files), with the partition columns
 * read from the Hive-style paths so that filters on them prune files before any is opened.
 * Files written before a column was added do not have it: they are read in their own group with
 * the column as NULL (groups come from the columns each file's stats list).
 */
import path from 'node:path';
import { parseStats, type AddAction } from '../delta/actions.ts';
import { duckdbType, type LakeColumn } from '../delta/schema.ts';
import { sqlIdentifier, sqlLiteral } from '../sql.ts';
import type { Snapshot } from '../delta/snapshot.ts';

export function snapshotSelectSql(tableDir: string, snapshot: Snapshot): string {
  return filesSelectSql(tableDir, snapshot, snapshot.files.values());
}

/** The same over a subset of a snapshot's files (partition pruning). */
export function filesSelectSql(tableDir: string, snapshot: Pick<Snapshot, 'columns' | 'partitionColumns'>, files: Iterable<AddAction>): string {
  const columns = snapshot.columns;
  const partitionColumns = new Set(snapshot.partitionColumns);
  const dataColumns = columns.filter((c) => !partitionColumns.has(c.name));
  const fileList = [...files];
  if (fileList.length === 0) {
    return `SELECT ${columns.map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS ${sqlIdentifier(c.name)}`).join(', ')} WHERE false`;
  }
  // Group files by the data columns they contain; `undefined` = unknown (no stats).
  const groups = new Map<string, { present: Set<string> | undefined; paths: string[] }>();
  for (const f of fileList) {
    // (Statistics parsed once per file: parseStats.)
    const nullCount = parseStats(f)?.nullCount;
    const present = nullCount ? dataColumns.filter((c) => c.name in nullCount).map((c) => c.name) : undefined;
    const key = present ? present.join(',') : '\u0000unknown';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { present: present ? new Set(present) : undefined, paths: [] }));
    g.paths.push(pathLiteralOf(tableDir, f));
  }
  // Type names as strings: a bare DATE would be read as a column named "date" where the relation
  // is joined to rows that have one (DuckDB binds the table function's arguments laterally).
  const hiveTypes = snapshot.partitionColumns.map((p) => `${sqlLiteral(p)}: ${sqlLiteral(duckdbType(columns.find((c) => c.name === p)!.type))}`).join(', ');
  const selects = [...groups.values()].map((g) => {
    const projection = columns.map((c) => projectColumn(c, partitionColumns.has(c.name) || !g.present || g.present.has(c.name)));
    const options = [
      snapshot.partitionColumns.length > 0 ? `hive_partitioning = true, hive_types = {${hiveTypes}}, hive_types_autocast = false` : 'hive_partitioning = false',
      g.present ? '' : 'union_by_name = true',
    ]
      .filter(Boolean)
      .join(', ');
    return `SELECT ${projection.join(', ')} FROM read_parquet([${g.paths.join(', ')}], ${options})`;
  });
  return selects.length === 1 ? selects[0] : selects.map((s) => `(${s})`).join(' UNION ALL ');
}

/** A file's path as an SQL literal, built once per file (a view lists every file of its table). */
const pathLiterals = new WeakMap<AddAction, { readonly dir: string; readonly literal: string }>();

function pathLiteralOf(tableDir: string, f: AddAction): string {
  const known = pathLiterals.get(f);
  if (known?.dir === tableDir) return known.literal;
  const literal = sqlLiteral(path.join(tableDir, decodeURIComponent(f.path)));
  pathLiterals.set(f, { dir: tableDir, literal });
  return literal;
}

function projectColumn(c: LakeColumn, present: boolean): string {
  return present ? sqlIdentifier(c.name) : `CAST(NULL AS ${duckdbType(c.type)}) AS ${sqlIdentifier(c.name)}`;
}

/** Latest revision of each candle; `date` is in the window key so filters on it still prune. */
export function latestCandleRevisionSql(allRevisionsView: string): string {
  return `SELECT * EXCLUDE (_revision_rank) FROM (
  SELECT *, row_number() OVER (PARTITION BY exchange, symbol, "interval", "date", window_start ORDER BY revision DESC) AS _revision_rank
  FROM ${sqlIdentifier(allRevisionsView)}
) WHERE _revision_rank = 1`;
}
