/**
 * The trades / aggTrades path: an archive day of trades goes to `bronze/trades` (source
 * `archive`), and its candles are computed by the streaming service's own CandleOperator, so that
 * backfilled silver is what the stream would have written (and equals a batch recomputation).
 *
 * Bronze: the day's partition becomes the archive's trades plus any existing row the archive
 * does not have (another exchange or kind, or an id it lacks), in one commit with a `txn` per
 * partition, so retries and reruns never duplicate a trade.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CandleEvent, TradeEvent } from '../../common/events/index.ts';
import { ConcurrentModificationError, filesSelectSql, sqlLiteral, type Lake } from '../../lake/index.ts';
import { CandleOperator } from '../../streaming/index.ts';
import { dayStartMs, DAY_MS } from './input.ts';
import { backfillTxnAppId } from './silver-writer.ts';

/** The day's final candles of every interval from its trades, by the streaming operator. */
export function candlesFromTrades(trades: Iterable<TradeEvent>, day: string, nowMs: number): CandleEvent[] {
  // The whole day is at hand: no out-of-orderness bound, and nothing is final before the end.
  const operator = new CandleOperator({ watermarkBoundMs: 0, idleTimeoutMs: Number.MAX_SAFE_INTEGER, retentionMs: 2 * DAY_MS });
  for (const t of trades) operator.add(t, 0, nowMs);
  // The archive ends with the day: the watermark passes its end, every window becomes final.
  operator.watermarks.observe(0, (dayStartMs(day) + DAY_MS) * 1000, nowMs);
  const dayStartUs = dayStartMs(day) * 1000;
  const dayEndUs = dayStartUs + DAY_MS * 1000;
  return operator.advance(nowMs).filter((c) => c.windowStartUs >= dayStartUs && c.windowStartUs < dayEndUs);
}


/** Replaces the bronze partition (symbol, day) with the archive's trades merged into what it holds. */
export async function writeBronzeTrades(lake: Lake, conn: DuckDBConnection, trades: readonly TradeEvent[], w: { exchange: string; symbol: string; day: string; runVersion: number }): Promise<{ committed: boolean; rows: number }> {
  const table = await lake.table('bronze/trades');
  const staged = `bf_trades_${Math.random().toString(36).slice(2)}`;
  await conn.run(`CREATE TABLE ${staged} (kind VARCHAR, trade_id BIGINT, first_trade_id BIGINT, last_trade_id BIGINT, price VARCHAR, qty VARCHAR, quote_qty VARCHAR,
    is_buyer_maker BOOLEAN, trade_time_us BIGINT, received_at_us BIGINT)`);
  try {
    const app = await conn.createAppender(staged);
    for (const t of trades) {
      app.appendVarchar(t.kind);
      app.appendBigInt(BigInt(t.tradeId));
      if (t.firstTradeId === undefined) app.appendNull();
      else app.appendBigInt(BigInt(t.firstTradeId));
      if (t.lastTradeId === undefined) app.appendNull();
      else app.appendBigInt(BigInt(t.lastTradeId));
      app.appendVarchar(t.price);
      app.appendVarchar(t.qty);
      app.appendVarchar(t.quoteQty);
      app.appendBoolean(t.isBuyerMaker);
      app.appendBigInt(BigInt(t.tradeTimeUs));
      app.appendBigInt(BigInt(t.receivedAtUs));
      app.endRow();
    }
    app.closeSync();
    const appId = `bronze:${backfillTxnAppId(w.exchange, w.symbol, w.day)}`;
    for (let attempt = 1; ; attempt++) {
      const snap = await table.refresh();
      if ((snap.txnVersion(appId) ?? -1) >= w.runVersion) return { committed: false, rows: 0 };
      const files = snap.addFiles().filter((f) => f.partitionValues.symbol === w.symbol && f.partitionValues.date === w.day);
      const key = 'exchange, kind, trade_id';
      const fresh = `SELECT ${sqlLiteral(w.exchange)} AS exchange, ${sqlLiteral(w.symbol)} AS symbol, kind, trade_id, first_trade_id, last_trade_id, price::DECIMAL(18,8) AS price,
          qty::DECIMAL(18,8) AS qty, quote_qty::DECIMAL(38,16) AS quote_qty, is_buyer_maker, make_timestamp(trade_time_us) AS trade_time,
          make_timestamp(received_at_us) AS received_at, 'archive' AS source FROM ${staged}`;
      const old = `SELECT exchange, symbol, kind, trade_id, first_trade_id, last_trade_id, price, qty, quote_qty, is_buyer_maker, trade_time, received_at, source
        FROM (${filesSelectSql(table.dir, snap, files)})`;
      const merged = `WITH fresh AS (${fresh}), old AS (${old}) SELECT * FROM fresh UNION ALL BY NAME SELECT old.* FROM old ANTI JOIN fresh USING (${key})`;
      try {
        const result = await table.replacePartitionsFromSql(conn, merged, {
          partitions: [{ symbol: w.symbol, date: w.day }],
          txn: [{ appId, version: w.runVersion }],
          readSnapshot: snap,
        });
        return { committed: true, rows: result.rows };
      } catch (err) {
        if (err instanceof ConcurrentModificationError && attempt < 20) continue;
        throw err;
      }
    }
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${staged}`);
  }
}
