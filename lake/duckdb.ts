/**
 * The process-wide DuckDB used by lake writers and maintenance (Parquet writing, checkpoint
 * reading and writing). In-memory; each operation takes its own connection so that concurrent
 * operations on different tables do not share temp tables or appenders.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

let instance: Promise<DuckDBInstance> | undefined;

/**
 * A new in-memory DuckDB set up as the lake's (UTC), for a job that wants one of its own, e.g.
 * with another thread count (`threads`; DuckDB's default: one per core).
 */
export async function createLakeDuckDB(opts: { threads?: number } = {}): Promise<DuckDBInstance> {
  const db = await DuckDBInstance.create(':memory:', opts.threads ? { threads: String(Math.max(1, Math.floor(opts.threads))) } : undefined);
  const conn = await db.connect();
  // Timestamps are UTC instants; the session time zone only affects how they print.
  await conn.run(`SET GLOBAL TimeZone = 'UTC'`);
  conn.closeSync();
  return db;
}

export function lakeDuckDB(): Promise<DuckDBInstance> {
  instance ??= createLakeDuckDB();
  return instance;
}

/** Runs `fn` with a fresh connection of the lake's DuckDB (or of `db`) and closes it afterwards. */
export async function withLakeConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>, db?: Promise<DuckDBInstance>): Promise<T> {
  const conn = await (await (db ?? lakeDuckDB())).connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

/** Sets how many threads the lake DuckDB of this thread (the process-wide one, or a worker's own) uses for Parquet writing. */
export async function setLakeThreads(threads: number): Promise<void> {
  await withLakeConnection((conn) => conn.run(`SET GLOBAL threads = ${Math.max(1, Math.floor(threads))}`));
}

/** Runs a query and returns its rows as JSON-friendly objects (BIGINT and DECIMAL as strings). */
export async function queryJson(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}
