/**
 * Writing rows into a table's directory as Parquet data files, without committing them.
 *
 * The fast path, chosen by measurement (bench/lake-parquet-writers.bench.ts): rows are appended
 * to an in-memory DuckDB staging table whose decimal columns are VARCHAR (no per-value decimal
 * objects), then one `COPY (SELECT price::DECIMAL(p,s), ...) TO dir (FORMAT parquet,
 * PARTITION_BY (...), RETURN_STATS)` writes one file per partition and hands back each file's row
 * count, size and column min/max/null counts, which become the Delta `add` actions and their stats.
 * Partition columns are not stored inside the files (the Delta convention); they live in the
 * Hive-style directory names and in each `add`'s partitionValues.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { encodeDeltaPath, type AddAction } from './delta/actions.ts';
import { decimalPrecisionScale, duckdbType, type LakeColumn } from './delta/schema.ts';
import { sqlIdentifier, sqlLiteral } from './sql.ts';
import { withLakeConnection } from './duckdb.ts';

export type ParquetCompression = 'zstd' | 'snappy' | 'gzip' | 'uncompressed';

export interface DataFileSpec {
  readonly tableDir: string;
  readonly columns: readonly LakeColumn[];
  readonly partitionColumns: readonly string[];
  readonly compression?: ParquetCompression;
  /**
   * Dictionary-encode columns where their values repeat (Parquet's default; default true). Off,
   * every column is written plain: DuckDB's writer tries a dictionary for every column of every
   * row group, and for columns of distinct doubles (indicators) that try is a fifth of the
   * write's CPU for files of the same size (gold/indicators' 678k rows: 0.81-0.93 s -> 0.65-0.74 s).
   */
  readonly dictionary?: boolean;
  /**
   * Splits a partition's rows further into files: an SQL expression over the row's columns, rows
   * with different values going to different files of the same partition (a table stored a
   * month a partition keeps its newest month a file a day). Not a partition column: the files
   * land in the partition's own directory and their partition values are the partition's.
   */
  readonly fileSplit?: string;
}

/** The (never stored) key COPY splits files by when a spec has `fileSplit`. */
const FILE_SPLIT_KEY = '__file';

/** A row as producers hand it over: decimals as strings, timestamps as epoch µs numbers. */
export type LakeRow = Readonly<Record<string, unknown>>;

export class RowValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RowValidationError';
  }
}

/** Writes `rows` as Parquet files under the table directory; returns their `add` actions. */
export async function writeRows(spec: DataFileSpec, rows: readonly LakeRow[]): Promise<AddAction[]> {
  if (rows.length === 0) return [];
  const columns = spec.columns.filter((c) => !c.derivedFrom);
  // Per-value appender calls dominate the write path, so a column holding one value in every row
  // (exchange, source, kind in a typical batch) is validated once and written as a SQL literal.
  const constants = constantColumns(columns, rows);
  const staged = columns.filter((c) => !constants.has(c.name));
  return withLakeConnection(async (conn) => {
    const staging = `staging_${randomUUID().replace(/-/g, '')}`;
    await conn.run(`CREATE TEMP TABLE ${staging} (${staged.map((c) => `${sqlIdentifier(c.name)} ${stagingType(c)}`).join(', ')})`);
    try {
      const appender = await conn.createAppender(staging, 'main', 'temp');
      try {
        await appendRows(appender, staged, rows);
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      const projection = columns.map((c) => `${constants.has(c.name) ? constantSql(c, constants.get(c.name)) : castFromStaging(c)} AS ${sqlIdentifier(c.name)}`);
      const typed = `SELECT ${projection.join(', ')} FROM temp.${staging}`;
      // Non-derived partition columns are non-nullable and checked per row above.
      return await copyToTable(conn, spec, typed, spec.columns.some((c) => spec.partitionColumns.includes(c.name) && (c.derivedFrom || c.nullable !== false)));
    } finally {
      await conn.run(`DROP TABLE IF EXISTS temp.${staging}`);
    }
  });
}

/**
 * The columns whose value is the same in every row (null counts as a value), each validated
 * once, by name. At least one column always stays staged so that the staging table has the rows.
 */
function constantColumns(columns: readonly LakeColumn[], rows: readonly LakeRow[]): Map<string, unknown> {
  const constants = new Map<string, unknown>();
  if (rows.length < 2) return constants;
  for (const c of columns) {
    const first = rows[0][c.name] ?? null;
    let same = true;
    for (let r = 1; r < rows.length && same; r++) same = (rows[r][c.name] ?? null) === first;
    if (!same) continue;
    if (first === null) {
      if (c.nullable === false) throw new RowValidationError(`row 0: ${c.name} is required`);
    } else {
      try {
        appenderFor(c)(VALIDATING_APPENDER, first);
      } catch (err) {
        if (err instanceof RowValidationError) throw new RowValidationError(`row 0: ${err.message}`);
        throw err;
      }
    }
    constants.set(c.name, first);
  }
  if (constants.size === columns.length) constants.delete(columns[0].name);
  return constants;
}

/** An appender that accepts everything: running a column's append function on it only validates. */
const VALIDATING_APPENDER = new Proxy({}, { get: () => () => undefined }) as DuckDBAppender;

/** A validated constant as a typed SQL expression, cast exactly like a staged value would be. */
function constantSql(c: LakeColumn, value: unknown): string {
  if (value === null) return `CAST(NULL AS ${duckdbType(c.type)})`;
  const d = decimalPrecisionScale(c.type);
  if (d) return `CAST(${sqlLiteral(String(value))} AS ${duckdbType(c.type)})`;
  switch (c.type) {
    case 'timestamp':
      return `make_timestamptz(CAST(${Number(value)} AS BIGINT))`;
    case 'long':
      return `CAST(${Number(value)} AS BIGINT)`;
    case 'integer':
      return `CAST(${Number(value)} AS INTEGER)`;
    case 'double':
      return `CAST(${sqlLiteral(String(value))} AS DOUBLE)`;
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return `CAST(${sqlLiteral(String(value))} AS ${duckdbType(c.type)})`;
  }
}

/**
 * Writes the result of a SELECT run on `conn` (for instance a gold transform over the lake's
 * views). Its columns are matched by name and cast to the table's types; derived columns are
 * computed when the query does not return them. A row with a null partition column is refused
 * (the files written are deleted, nothing is committed); `checkNullPartitions: false` leaves that
 * to a caller that rejects the written files of partitions it did not ask for anyway (a replace
 * of listed partitions: a null value is never one of them).
 */
export async function writeSelect(conn: DuckDBConnection, spec: DataFileSpec, selectSql: string, opts: { checkNullPartitions?: boolean } = {}): Promise<AddAction[]> {
  // (Its columns from binding the query: a DESCRIBE runs it as a query, twice the time.)
  const bound = await conn.prepare(`SELECT * FROM (${selectSql})`);
  let returned: Set<string>;
  try {
    returned = new Set(Array.from({ length: bound.columnCount }, (_, i) => bound.columnName(i)));
  } finally {
    bound.destroySync();
  }
  const staged = spec.columns.filter((c) => returned.has(c.name) || !c.derivedFrom);
  // A nullable column the query does not return is written as NULL (a column added to the table
  // after the query was written, such as silver's `source`); a required one is an error.
  for (const c of staged) if (!returned.has(c.name) && c.nullable === false) throw new RowValidationError(`query does not return column ${c.name}`);
  const valueOf = (c: LakeColumn) => (returned.has(c.name) ? sqlIdentifier(c.name) : 'NULL');
  const typed = `SELECT ${staged.map((c) => `CAST(${valueOf(c)} AS ${duckdbType(c.type)}) AS ${sqlIdentifier(c.name)}`).join(', ')} FROM (${selectSql})`;
  return copyToTable(conn, { ...spec, columns: spec.columns.map((c) => (returned.has(c.name) ? { ...c, derivedFrom: undefined } : c)) }, typed, opts.checkNullPartitions ?? true);
}

async function copyToTable(conn: DuckDBConnection, spec: DataFileSpec, typedSelect: string, checkNullPartitions: boolean): Promise<AddAction[]> {
  const projection = spec.columns.map((c) => (c.derivedFrom ? `CAST((${c.derivedFrom}) AS ${duckdbType(c.type)}) AS ${sqlIdentifier(c.name)}` : sqlIdentifier(c.name))).join(', ');
  const select = `SELECT ${projection} FROM (${typedSelect})`;
  const compression = spec.compression ?? 'zstd';
  const partitioned = spec.partitionColumns.length > 0;
  // Every file of this write starts with its own prefix: a COPY that fails midway returns no
  // statistics, and a partitioned one may have written some partitions' files by then (writes
  // beside it in the same directory have other prefixes).
  const prefix = `part-${randomUUID().slice(0, 8)}-`;
  const target = partitioned ? spec.tableDir : path.join(spec.tableDir, `${prefix}${randomUUID()}.parquet`);
  const split = partitioned && spec.fileSplit !== undefined;
  const keys = [...spec.partitionColumns.map(sqlIdentifier), ...(split ? [FILE_SPLIT_KEY] : [])];
  const options = [`FORMAT parquet`, `COMPRESSION ${compression}`, `RETURN_STATS true`];
  // (The limit is the dictionary's size in bytes: 1 keeps none.)
  if (spec.dictionary === false) options.push(`DICTIONARY_SIZE_LIMIT 1`);
  if (partitioned) options.push(`PARTITION_BY (${keys.join(', ')})`, `FILENAME_PATTERN '${prefix}{uuid}'`, `OVERWRITE_OR_IGNORE true`);
  const source = split ? `SELECT *, CAST((${spec.fileSplit}) AS VARCHAR) AS ${FILE_SPLIT_KEY} FROM (${select})` : select;
  let reader;
  try {
    reader = await conn.runAndReadAll(`COPY (${source}) TO ${sqlLiteral(target)} (${options.join(', ')})`);
  } catch (err) {
    await removeFilesStartingWith(spec.tableDir, prefix);
    throw err;
  }
  const now = Date.now();
  const stats = reader.getRowObjectsJson() as unknown as ReturnedFileStats[];
  if (partitioned && checkNullPartitions) await refuseNullPartitions(spec, stats);
  if (split) await Promise.all(stats.map(async (s) => (s.filename = await moveOutOfSplitDirectory(s.filename))));
  return stats.map((s) => toAddAction(spec, s, now));
}

/**
 * Rows with a null partition value (DuckDB writes them under `__HIVE_DEFAULT_PARTITION__`) are
 * refused: every file the write made is deleted, nothing having been committed. (Checked on the
 * files written rather than by a count first: that ran the whole query a second time, on every
 * write of a table whose partition column is derived, the stream's among them.)
 */
async function refuseNullPartitions(spec: DataFileSpec, stats: readonly ReturnedFileStats[]): Promise<void> {
  const isNull = (s: ReturnedFileStats) => (s.partition_keys ?? []).some((kv) => spec.partitionColumns.includes(kv.key) && kv.value === null);
  const refused = stats.filter(isNull);
  if (refused.length === 0) return;
  await Promise.all(stats.map((s) => fs.rm(s.filename, { force: true })));
  // (The directories of the null value, and of a file split under them, are left empty.)
  for (const dir of new Set(refused.map((s) => path.dirname(s.filename)))) {
    for (let d = dir; d.startsWith(spec.tableDir) && d !== spec.tableDir; d = path.dirname(d)) await fs.rmdir(d).catch(() => {});
  }
  const rows = refused.reduce((n, s) => n + Number(s.count), 0);
  throw new RowValidationError(`${rows} row(s) have a null partition column (${spec.partitionColumns.join(', ')})`);
}

/** Deletes the files under `dir` whose name starts with `prefix` (a failed write's, see copyToTable). */
async function removeFilesStartingWith(dir: string, prefix: string): Promise<void> {
  const names = await fs.readdir(dir, { recursive: true }).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => path.basename(n).startsWith(prefix)).map((n) => fs.rm(path.join(dir, n), { force: true })));
}

/** `<partition>/__file=<key>/part-x.parquet` → `<partition>/part-x.parquet` (the key's directory removed once empty). */
async function moveOutOfSplitDirectory(file: string): Promise<string> {
  const dir = path.dirname(file);
  if (!path.basename(dir).startsWith(`${FILE_SPLIT_KEY}=`)) return file;
  const moved = path.join(path.dirname(dir), path.basename(file));
  await fs.rename(file, moved);
  await fs.rmdir(dir).catch(() => {});
  return moved;
}

interface ReturnedFileStats {
  filename: string;
  count: string;
  file_size_bytes: string;
  column_statistics: { key: string; value: { key: string; value: string }[] }[];
  partition_keys: { key: string; value: string }[] | null;
}

function toAddAction(spec: DataFileSpec, s: ReturnedFileStats, now: number): AddAction {
  const rel = path.relative(spec.tableDir, s.filename).split(path.sep).join('/');
  const partitionValues: Record<string, string | null> = {};
  for (const p of spec.partitionColumns) partitionValues[p] = null;
  for (const kv of s.partition_keys ?? []) if (kv.key in partitionValues) partitionValues[kv.key] = kv.value;
  const byColumn = new Map<string, Map<string, string>>();
  for (const c of s.column_statistics ?? []) byColumn.set(unquote(c.key), new Map(c.value.map((kv) => [kv.key, kv.value])));
  return {
    path: encodeDeltaPath(rel),
    partitionValues,
    size: Number(s.file_size_bytes),
    modificationTime: now,
    dataChange: true,
    stats: statsJson(spec.columns.filter((c) => !spec.partitionColumns.includes(c.name)), Number(s.count), byColumn),
  };
}

function unquote(key: string): string {
  return key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1).replace(/""/g, '"') : key;
}

/**
 * Delta stats JSON, built as text so that decimal min/max keep every digit (a JS number would
 * round them). Timestamps are ISO strings truncated to ms (min rounded down, max up, so that
 * data skipping by other engines stays correct). Long strings and booleans get no min/max.
 */
function statsJson(columns: readonly LakeColumn[], numRecords: number, byColumn: Map<string, Map<string, string>>): string {
  const mins: string[] = [];
  const maxs: string[] = [];
  const nulls: string[] = [];
  for (const c of columns) {
    const st = byColumn.get(c.name);
    if (!st) continue;
    const key = JSON.stringify(c.name);
    const nc = st.get('null_count');
    if (nc !== undefined) nulls.push(`${key}:${Number(nc)}`);
    const min = st.get('min');
    const max = st.get('max');
    if (min === undefined || max === undefined) continue;
    const rendered = renderMinMax(c, min, max);
    if (!rendered) continue;
    mins.push(`${key}:${rendered[0]}`);
    maxs.push(`${key}:${rendered[1]}`);
  }
  return `{"numRecords":${numRecords},"minValues":{${mins.join(',')}},"maxValues":{${maxs.join(',')}},"nullCount":{${nulls.join(',')}}}`;
}

const NUMBER_TOKEN = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

function renderMinMax(c: LakeColumn, min: string, max: string): [string, string] | undefined {
  if (decimalPrecisionScale(c.type) || c.type === 'long' || c.type === 'integer' || c.type === 'double') {
    return NUMBER_TOKEN.test(min) && NUMBER_TOKEN.test(max) ? [min, max] : undefined;
  }
  switch (c.type) {
    case 'date':
      return [JSON.stringify(min), JSON.stringify(max)];
    case 'timestamp': {
      const lo = parseDuckTimestampUs(min);
      const hi = parseDuckTimestampUs(max);
      if (lo === undefined || hi === undefined) return undefined;
      return [JSON.stringify(new Date(Math.floor(lo / 1000)).toISOString()), JSON.stringify(new Date(Math.ceil(hi / 1000)).toISOString())];
    }
    case 'string':
      return min.length <= 32 && max.length <= 32 ? [JSON.stringify(min), JSON.stringify(max)] : undefined;
    default:
      return undefined;
  }
}

/** `2023-11-14 22:13:20.000008+00` → epoch µs. */
export function parseDuckTimestampUs(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:\+00(?::?00)?|Z)?$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return ms * 1000 + Number((m[7] ?? '').padEnd(6, '0'));
}

function stagingType(c: LakeColumn): string {
  if (decimalPrecisionScale(c.type)) return 'VARCHAR';
  switch (c.type) {
    case 'long':
    case 'timestamp':
      // Appending a JS number as DOUBLE avoids a BigInt per value; exact below 2^53.
      return 'DOUBLE';
    case 'date':
      return 'VARCHAR';
    default:
      return duckdbType(c.type);
  }
}

function castFromStaging(c: LakeColumn): string {
  const col = sqlIdentifier(c.name);
  const d = decimalPrecisionScale(c.type);
  if (d) return decimalFromVarchar(col, d.precision, d.scale);
  if (c.type === 'timestamp') return `make_timestamptz(CAST(${col} AS BIGINT))`;
  if (c.type === 'long') return `CAST(${col} AS BIGINT)`;
  return `CAST(${col} AS ${duckdbType(c.type)})`;
}

/**
 * VARCHAR → DECIMAL(p,s). DuckDB parses strings into 18-digit decimals (int64) quickly but into
 * wider ones (int128) about 20× slower, which dominated the write path for DECIMAL(38,16). So a
 * wide value with at most 10 integer and 8 decimal places (exchange quantities and the quote
 * volumes of klines: most values) is parsed as a DECIMAL(18,8) and widened, exactly; a longer
 * one is assembled from two fast casts, its integer part and its fraction, whenever they fit
 * (non-negative, at most 18 integer digits); otherwise the plain cast is used.
 */
export function decimalFromVarchar(col: string, precision: number, scale: number): string {
  const target = `DECIMAL(${precision},${scale})`;
  if (precision <= 18 || scale > 18) return `CAST(${col} AS ${target})`;
  const intPart = `split_part(${col}, '.', 1)`;
  const fraction = `CAST('0.' || split_part(${col}, '.', 2) || '0' AS DECIMAL(18,${scale}))`;
  const twoParts = `CASE WHEN strlen(${intPart}) <= 18 AND NOT starts_with(${col}, '-') THEN CAST(CAST('0' || ${intPart} AS DECIMAL(18,0)) AS ${target}) + ${fraction} ELSE CAST(${col} AS ${target}) END`;
  if (scale < 8 || precision - scale < 10) return twoParts;
  // '.' at position 2..11: 1 to 10 characters before it; at most 8 after it.
  const short = `strlen(${col}) <= 19 AND strpos(${col}, '.') BETWEEN 2 AND 11 AND strlen(${col}) - strpos(${col}, '.') <= 8`;
  return `CASE WHEN ${short} THEN CAST(CAST(${col} AS DECIMAL(18,8)) AS ${target}) ELSE ${twoParts} END`;
}

/** A strict pattern per decimal column: DuckDB's cast would round extra digits, we refuse them. */
function decimalPattern(precision: number, scale: number): RegExp {
  const whole = precision - scale;
  const intPart = whole > 0 ? `0*\\d{0,${whole}}` : '0*';
  const frac = scale > 0 ? `(?:\\.\\d{0,${scale}}0*)?` : '(?:\\.0*)?';
  return new RegExp(`^-?(?=\\.?\\d)${intPart}${frac}$`);
}

type Appendfn = (appender: DuckDBAppender, value: unknown) => void;

function appenderFor(c: LakeColumn): Appendfn {
  const name = c.name;
  const d = decimalPrecisionScale(c.type);
  if (d) {
    const re = decimalPattern(d.precision, d.scale);
    return (a, v) => {
      if (typeof v !== 'string' || !re.test(v)) throw new RowValidationError(`${name}: ${JSON.stringify(v)} is not an exact ${c.type} decimal string`);
      a.appendVarchar(v);
    };
  }
  switch (c.type) {
    case 'string':
      return (a, v) => {
        if (typeof v !== 'string') throw new RowValidationError(`${name}: expected a string, got ${typeof v}`);
        a.appendVarchar(v);
      };
    case 'long':
    case 'timestamp':
      return (a, v) => {
        const n = typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
          throw new RowValidationError(`${name}: expected an integer${c.type === 'timestamp' ? ' (epoch µs)' : ''}, got ${JSON.stringify(String(v))}`);
        }
        a.appendDouble(n);
      };
    case 'integer':
      return (a, v) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v > 2147483647 || v < -2147483648) throw new RowValidationError(`${name}: expected a 32-bit integer, got ${String(v)}`);
        a.appendInteger(v);
      };
    case 'double':
      return (a, v) => {
        if (typeof v !== 'number') throw new RowValidationError(`${name}: expected a number, got ${typeof v}`);
        a.appendDouble(v);
      };
    case 'boolean':
      return (a, v) => {
        if (typeof v !== 'boolean') throw new RowValidationError(`${name}: expected a boolean, got ${typeof v}`);
        a.appendBoolean(v);
      };
    case 'date':
      return (a, v) => {
        if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new RowValidationError(`${name}: expected a YYYY-MM-DD date string, got ${JSON.stringify(v)}`);
        a.appendVarchar(v);
      };
  }
  throw new Error(`unsupported type ${c.type}`);
}

/**
 * Rows per synchronous stretch of appending. Appender calls are synchronous native calls (a few
 * µs per row), so a large batch would block the event loop for as long as a second; between
 * stretches the loop runs (a streaming service keeps consuming and publishing meanwhile).
 */
const APPEND_ROWS_PER_SLICE = 2048;

async function appendRows(appender: DuckDBAppender, columns: readonly LakeColumn[], rows: readonly LakeRow[]): Promise<void> {
  const names = columns.map((c) => c.name);
  const fns = columns.map(appenderFor);
  const nullable = columns.map((c) => c.nullable ?? true);
  const n = columns.length;
  for (let r = 0; r < rows.length; r++) {
    if (r > 0 && r % APPEND_ROWS_PER_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const row = rows[r];
    for (let i = 0; i < n; i++) {
      const v = row[names[i]];
      if (v === null || v === undefined) {
        if (!nullable[i]) throw new RowValidationError(`row ${r}: ${names[i]} is required`);
        appender.appendNull();
      } else {
        try {
          fns[i](appender, v);
        } catch (err) {
          if (err instanceof RowValidationError) throw new RowValidationError(`row ${r}: ${err.message}`);
          throw err;
        }
      }
    }
    appender.endRow();
  }
}
