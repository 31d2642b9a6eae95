/**
 * Writes backfilled candles into `silver/candles`, one commit per work item that replaces exactly
 * its symbol-day partitions, with one Delta `txn` per partition (`backfill:<exchange>:<symbol>:<day>`
 * → the run's version) so that a retried activity sees its own earlier commit and adds nothing.
 *
 * The candles come staged in a DuckDB table (1m from the source, 5m/15m/1h rolled up, see
 * staging.ts). They are merged with what the partition holds:
 * - `all`: the staged candles replace the partition's candles of the same key with revision =
 *   previous revision + 1; candles the staging does not have are kept.
 * - `missing`: the partition's candles stay as they are (every revision); only keys it lacks are added.
 * The merge is computed from one snapshot and committed against it, so a candle the stream adds
 * to the same partition meanwhile makes the commit conflict (ConcurrentModificationError); the
 * write is then recomputed on top of it, so nothing the stream wrote is lost or doubled.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { backfillTxnAppId, ConcurrentModificationError, filesSelectSql, sqlLiteral, SILVER_CANDLES_SOURCE_COLUMN, vwapSql, type DeltaTable, type Lake } from '../../lake/index.ts';
import type { BackfillMode } from './input.ts';

/** The columns staging.ts produces (by name; `*_estimate`: the volumes as doubles, for the vwap's estimate, see lake vwapSql). */
export const STAGED_CANDLE_COLUMNS = `"interval" VARCHAR, window_start_us BIGINT, window_end_us BIGINT, open DECIMAL(18,8), high DECIMAL(18,8), low DECIMAL(18,8), close DECIMAL(18,8),
  volume DECIMAL(38,8), quote_volume DECIMAL(38,16), trade_count BIGINT, taker_buy_volume DECIMAL(38,8), taker_buy_quote_volume DECIMAL(38,16),
  first_trade_id BIGINT, last_trade_id BIGINT, volume_estimate DOUBLE, quote_volume_estimate DOUBLE`;

export interface SilverWrite {
  readonly exchange: string;
  readonly symbol: string;
  readonly days: readonly string[];
  /** Recorded in the `source` column. */
  readonly source: string;
  readonly mode: BackfillMode;
  /** The run's txn version: larger for later runs (the workflow's start time in ms). */
  readonly runVersion: number;
}

export interface SilverWriteResult {
  /** False when an earlier attempt of the same run already committed these partitions. */
  readonly committed: boolean;
  readonly version?: number;
  /** Candles the commit added (new keys and new revisions). */
  readonly rowsWritten: number;
  readonly bytesWritten: number;
  /** Commits that conflicted with a concurrent writer of these partitions and were merged again. */
  readonly conflictRetries: number;
}

const MAX_CONFLICT_RETRIES = 20;

export { backfillTxnAppId };


/** Adds the `source` column to a silver table created before it existed. */
export async function ensureSilverSourceColumn(table: DeltaTable): Promise<void> {
  const snap = await table.refresh();
  if (snap.columns.some((c) => c.name === 'source')) return;
  try {
    await table.addColumns([SILVER_CANDLES_SOURCE_COLUMN]);
  } catch (err) {
    // Another writer added it first.
    if (!(err instanceof ConcurrentModificationError)) throw err;
    if (!(await table.refresh()).columns.some((c) => c.name === 'source')) throw err;
  }
}

/** Whether every partition of `w` was already committed by this run (a retried activity). */
export function alreadyCommitted(table: DeltaTable, w: Pick<SilverWrite, 'exchange' | 'symbol' | 'days' | 'runVersion'>): boolean {
  const snap = table.snapshot();
  return w.days.every((d) => (snap.txnVersion(backfillTxnAppId(w.exchange, w.symbol, d)) ?? -1) >= w.runVersion);
}

/**
 * Merges the staged candles of `w.days` into their partitions and commits. `staged` names a
 * table or view on `conn` with STAGED_CANDLE_COLUMNS (it may hold other days too).
 */
export async function writeSilverPartitions(lake: Lake, conn: DuckDBConnection, staged: string, w: SilverWrite): Promise<SilverWriteResult> {
  const table = await lake.table('silver/candles');
  await ensureSilverSourceColumn(table);
  if (alreadyCommitted(table, w)) return { committed: false, rowsWritten: 0, bytesWritten: 0, conflictRetries: 0 };
  const dayList = w.days.map((d) => `DATE ${sqlLiteral(d)}`).join(', ');
  // The new candles once, in silver's shape (exact vwap included); each commit attempt reads them.
  const freshTable = `${staged}_silver`;
  await conn.run(`CREATE OR REPLACE TABLE ${freshTable} AS SELECT ${sqlLiteral(w.exchange)} AS exchange, ${sqlLiteral(w.symbol)} AS symbol, "interval", make_timestamp(window_start_us) AS window_start, make_timestamp(window_end_us) AS window_end,
        open, high, low, close, volume, quote_volume, ${vwapSql('quote_volume', 'volume', { quoteVolume: 'quote_volume_estimate', volume: 'volume_estimate' })} AS vwap, trade_count, taker_buy_volume, taker_buy_quote_volume,
        first_trade_id, last_trade_id, true AS is_final, make_timestamp(epoch_us(now())) AS finalized_at, ${sqlLiteral(w.source)} AS source
      FROM ${staged} WHERE CAST(make_timestamp(window_start_us) AS DATE) IN (${dayList})`);
  try {
    return await commitMerged(table, conn, freshTable, w);
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${freshTable}`);
  }
}

async function commitMerged(table: DeltaTable, conn: DuckDBConnection, freshTable: string, w: SilverWrite): Promise<SilverWriteResult> {
  const fresh = `SELECT * FROM ${freshTable}`;
  const key = `exchange, "interval", window_start`;
  for (let attempt = 1; ; attempt++) {
    const snap = await table.refresh();
    if (alreadyCommitted(table, w)) return { committed: false, rowsWritten: 0, bytesWritten: 0, conflictRetries: attempt - 1 };
    const daySet = new Set(w.days);
    const files = snap.addFiles().filter((f) => f.partitionValues.symbol === w.symbol && daySet.has(f.partitionValues.date ?? ''));
    const old = `SELECT exchange, symbol, "interval", window_start, window_end, open, high, low, close, volume, quote_volume, vwap, trade_count, taker_buy_volume,
        taker_buy_quote_volume, first_trade_id, last_trade_id, revision, is_final, finalized_at, source FROM (${filesSelectSql(table.dir, snap, files)})`;
    // Partitions that hold nothing yet (a first backfill): the new candles as they are, without
    // joining them to an empty side.
    const merged =
      files.length === 0
        ? `SELECT *, 0::BIGINT AS revision FROM ${freshTable}`
        : w.mode === 'missing'
        ? `WITH old AS (${old}), fresh AS (${fresh})
           SELECT * FROM old
           UNION ALL BY NAME
           SELECT fresh.*, 0::BIGINT AS revision FROM fresh ANTI JOIN (SELECT DISTINCT ${key} FROM old) o USING (${key})`
        : `WITH old AS (${old}), fresh AS (${fresh}), prev AS (SELECT ${key}, max(revision) AS revision FROM old GROUP BY ALL)
           SELECT old.* FROM old ANTI JOIN fresh USING (${key})
           UNION ALL BY NAME
           SELECT fresh.*, coalesce(prev.revision + 1, 0)::BIGINT AS revision FROM fresh LEFT JOIN prev USING (${key})`;
    const freshRows = Number((await conn.runAndReadAll(`SELECT count(*) FROM (${fresh})`)).getRows()[0][0]);
    const oldRows = files.reduce((n, f) => n + (f.stats ? Number((JSON.parse(f.stats) as { numRecords?: number }).numRecords ?? 0) : 0), 0);
    try {
      const result = await table.replacePartitionsFromSql(conn, merged, {
        partitions: w.days.map((date) => ({ symbol: w.symbol, date })),
        txn: w.days.map((d) => ({ appId: backfillTxnAppId(w.exchange, w.symbol, d), version: w.runVersion })),
        readSnapshot: snap,
        parameters: { backfill: JSON.stringify({ source: w.source, mode: w.mode, days: w.days.length }) },
      });
      const bytes = result.added.reduce((n, a) => n + a.size, 0);
      return { committed: true, version: result.version, rowsWritten: w.mode === 'missing' ? result.rows - oldRows : freshRows, bytesWritten: bytes, conflictRetries: attempt - 1 };
    } catch (err) {
      // Someone (the stream, another backfill) changed these partitions since our snapshot: merge again on top.
      if (err instanceof ConcurrentModificationError && attempt < MAX_CONFLICT_RETRIES) continue;
      throw err;
    }
  }
}
