/**
 * The DuckDB the backfill stages and writes with: one per process, separate from the lake's
 * shared one, with BACKFILL_DUCKDB_THREADS threads (default 1). A backfill runs several work
 * items at once (maxConcurrency), each a chain of statements over one archive file (tens of
 * thousands of rows); spread over all cores, such small statements spend more on coordinating
 * threads than they gain (~20% more CPU for a year of klines), while items in parallel keep
 * the cores busy. The lake's own DuckDB (gold builds, maintenance) keeps its default.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { createLakeDuckDB, withLakeConnection } from '../../lake/index.ts';

const instances = new Map<number, Promise<DuckDBInstance>>();

/** Runs `fn` with a fresh connection of the backfill's DuckDB of `threads` threads. */
export function withBackfillConnection<T>(threads: number, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  let db = instances.get(threads);
  if (!db) {
    db = createLakeDuckDB({ threads });
    instances.set(threads, db);
  }
  return withLakeConnection(fn, db);
}
