/**
 * marketlake's lake: ACID tables in the Delta Lake format (Parquet files + `_delta_log/`), written
 * fast through DuckDB and read through DuckDB views over consistent snapshots.
 *
 * ## Writing (producers, streaming, workflows)
 *
 * ```ts
 * import { Lake, tradeEventToRow } from '../lake/index.ts';
 * const lake = Lake.fromEnv();                        // LAKE_DIR, default ./lake/data
 * const trades = await lake.table('bronze/trades');   // known tables are created on first use
 *
 * // Resume: the Kafka offsets a commit covered are stored in the same commit (Delta `txn`).
 * const appId = `stream:${group}:${topic}:${partition}`;
 * const next = trades.snapshot().txnVersion(appId);   // undefined before the first commit
 *
 * // One atomic commit: the rows (one Parquet file per partition) + the new positions.
 * await trades.append(events.map(tradeEventToRow), { txn: [{ appId, version: nextOffset }] });
 * ```
 *
 * - Rows are plain objects keyed by column name: decimals as exact decimal strings (a value with
 *   more digits than the column's scale is refused, never rounded), timestamps as epoch µs
 *   numbers, dates as `YYYY-MM-DD`, longs as safe integers. Derived columns (`date`) are
 *   computed on write. Bad rows throw RowValidationError and nothing is committed.
 * - `table.snapshot()` is the handle's cached snapshot (no I/O); `await table.refresh()` reads
 *   only newer log entries. `snapshot.txnVersion(appId)` / `snapshot.txnVersions(prefix)` read
 *   the recorded positions.
 * - Concurrent writers (threads or processes) are serialised by optimistic concurrency: appends
 *   never conflict; overlapping changes throw a ConcurrentModificationError (a CommitFailedError),
 *   by kind: ConcurrentAppendError, ConcurrentDeleteDeleteError, ConcurrentTransactionError,
 *   MetadataChangedError, ProtocolChangedError.
 * - `replacePartitions(rows, { partitions })` swaps whole partitions in one commit (backfills,
 *   recomputation); `appendFromSql` / `replacePartitionsFromSql` write a SELECT's result (gold).
 * - `lake.createTable(def)` creates a `gold/<name>` table; `table.addColumns([...])` evolves a schema.
 * - Maintenance: `optimize(table)`, `vacuum(table, { retentionHours })`, `table.checkpoint()`
 *   (also automatic every `delta.checkpointInterval` commits, default 10), `table.history()`.
 * - Time travel: `table.snapshotAt(version)`, `table.snapshotAsOf(date)`.
 * - Every commit also records its version checksum (`<version>.crc`: file count, size, metadata,
 *   protocol, stream positions); opening or refreshing a table compares. A damaged log (an empty
 *   commit, a commit cut mid-line, one that lost lines) throws CorruptLogError naming the table
 *   and version; the query engine keeps serving the other tables and that table's view fails.
 *
 * ## Reading (API, transforms, `marketlake sql`)
 *
 * ```ts
 * const engine = await LakeQueryEngine.open({ lake });   // read-only by default
 * await engine.refresh();                                // cheap: only new log entries
 * const { rows } = await engine.query(`SELECT * FROM silver_candles WHERE symbol = 'BTCUSDT' AND date = DATE '2024-03-01' AND "interval" = '1m'`);
 * ```
 *
 * Views: `bronze_trades`, `bronze_tickers`, `bronze_sentiment`, `bronze_news`, `silver_candles`
 * (latest revision of each candle), `silver_candles_all_revisions`, `gold_<name>`. Filter on the
 * partition columns (`symbol`, `date`) with constants: `engine.query` then rewrites the scan to
 * read only the matching files (query/pruning.ts). DECIMAL values come back as exact strings.
 * `engine.connection` is the raw DuckDB connection with the views (no pruning, no guard).
 * `engine.createTempTable(name, select)` materialises a SELECT (pruned and guarded like `query`)
 * as a temp table that several queries then read without decoding the Parquet again.
 */
export { Lake, LAYERS, normaliseTableName, viewName, type Layer, type LakeOptions } from './lake.ts';
export {
  DeltaTable,
  DEFAULT_CHECKPOINT_INTERVAL,
  RowsOutsidePartitionsError,
  type TableDefinition,
  type TxnMark,
  type WriteOptions,
  type ReplaceOptions,
  type StageOptions,
  type CommitResult,
  type HistoryEntry,
  type CommitRequest,
} from './table.ts';
export { Snapshot } from './delta/snapshot.ts';
export { parseStats } from './delta/actions.ts';
export {
  CommitFailedError,
  ConcurrentModificationError,
  ConcurrentAppendError,
  ConcurrentDeleteDeleteError,
  ConcurrentTransactionError,
  MetadataChangedError,
  ProtocolChangedError,
  MaxCommitAttemptsExceededError,
} from './delta/conflicts.ts';
export { TableNotFoundError } from './delta/loader.ts';
export { CorruptLogError } from './delta/corrupt-log.ts';
export type { VersionChecksum } from './delta/checksum.ts';
export type { LakeColumn, LakeType } from './delta/schema.ts';
export { duckdbType } from './delta/schema.ts';
export type { Action, AddAction, RemoveAction, TxnAction, MetadataAction, ProtocolAction, CommitInfoAction, FileStats } from './delta/actions.ts';
export { RowValidationError, decimalFromVarchar, type LakeRow, type ParquetCompression, type DataFileSpec } from './writer.ts';
export { JsonEventsBuilder, materializeRows, type JsonEventKind, type JsonEvents, type RowBatch } from './json-events.ts';
export { writeRowBatch, type RowWriter } from './row-writer.ts';
export { WriterThread } from './writer-thread.ts';
/** SQL quoting: `sqlIdentifier('interval')` → `"interval"`, `sqlLiteral("it's")` → `'it''s'`. */
export { sqlIdentifier, sqlLiteral } from './sql.ts';
/** Silver's vwap (quote / volume rounded half-up to 16 places) computed exactly in SQL, and its exact check. */
export { vwapSql, vwapMatchesSql } from './vwap-sql.ts';
export { optimize, type OptimizeOptions, type OptimizeResult } from './maintenance/optimize.ts';
export { vacuum, type VacuumOptions, type VacuumResult, DEFAULT_VACUUM_RETENTION_HOURS } from './maintenance/vacuum.ts';
export { tableStats, type TableStats } from './maintenance/table-stats.ts';
export { countCommitConflicts } from './commit-metrics.ts';
export * from './tables/index.ts';
export { LakeQueryEngine, CANDLES_ALL_REVISIONS_VIEW, type LakeQueryEngineOptions, type QueryOptions, type QueryResult } from './query/engine.ts';
export { QueryTimeoutError, UnknownViewError } from './query/errors.ts';
export { ReadOnlyViolation, assertSingleSelect, parseSingleSelect } from './query/readonly-guard.ts';
export { filesSelectSql, snapshotSelectSql } from './query/views.ts';
export { csvField, formatResult, type OutputFormat } from './query/format.ts';
export { createLakeDuckDB, lakeDuckDB, setLakeThreads, withLakeConnection, queryJson } from './duckdb.ts';
