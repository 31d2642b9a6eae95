/**
 * Writing a model's rows as its table's files before the commit (DeltaTable.stageFromSql), in
 * two halves side by side when they are many.
 *
 * Why halves: a partitioned COPY ends on one thread (DuckDB writes out each partition's last
 * row group once its input is exhausted), and a full build's indicators (678k rows, 29 columns)
 * spent their last ~0.3 s on one core while every other model waited for their commit (bench
 * gold-build). Two COPYs of half the rows each, on two connections, end side by side. The halves
 * split at the start of a month, so each partition (a day or a month) lies in one of them and
 * still gets one file.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryJson, sqlLiteral, type AddAction, type DeltaTable, type StageOptions } from '../lake/index.ts';
import { MONTH_COLUMN } from './month-partitions.ts';

/** Rows below which one COPY writes them (two connections cost more than they save). */
const SPLIT_ROWS = 100_000;

/**
 * Stages `rowsSql` (SELECT of the table's rows, `date` among them when partitioned by date or
 * month) on `conn`; when `source` holds at least SPLIT_ROWS rows over more than one month and
 * `openConnection` is given, half of them on a connection of its own. All or nothing: when one
 * half fails, the other's files are deleted.
 */
export async function stageRows(
  out: DeltaTable,
  conn: DuckDBConnection,
  rowsSql: string,
  opts: StageOptions & { readonly source?: string; readonly openConnection?: () => Promise<{ conn: DuckDBConnection; close: () => void }> },
): Promise<AddAction[]> {
  const stage = (c: DuckDBConnection, sql: string) => out.stageFromSql(c, sql, opts);
  const partitionedByDay = out.snapshot().partitionColumns.some((c) => c === 'date' || c === MONTH_COLUMN);
  const cut = partitionedByDay && opts.source && opts.openConnection ? await halfwayMonth(conn, opts.source) : undefined;
  if (!cut) return stage(conn, rowsSql);
  const other = await opts.openConnection!();
  try {
    const before = `"date" < DATE ${sqlLiteral(cut)}`;
    const halves = await Promise.allSettled([stage(conn, `SELECT * FROM (${rowsSql}) WHERE ${before}`), stage(other.conn, `SELECT * FROM (${rowsSql}) WHERE NOT (${before})`)]);
    const written = halves.flatMap((h) => (h.status === 'fulfilled' ? h.value : []));
    const failed = halves.find((h): h is PromiseRejectedResult => h.status === 'rejected');
    if (failed) {
      await out.discardStaged(written);
      throw failed.reason;
    }
    return written;
  } finally {
    other.close();
  }
}

/** The first day of the month holding the median row's date, when the rows are many and span more than that month. */
async function halfwayMonth(conn: DuckDBConnection, source: string): Promise<string | undefined> {
  const [r] = await queryJson(conn, `SELECT count(*)::BIGINT AS n, CAST(min("date") AS VARCHAR) AS lo, strftime(quantile_disc("date", 0.5), '%Y-%m-01') AS cut FROM ${source}`);
  if (!r || Number(r.n) < SPLIT_ROWS || typeof r.cut !== 'string' || typeof r.lo !== 'string' || r.cut <= r.lo) return undefined;
  return r.cut;
}
