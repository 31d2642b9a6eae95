/**
 * Rebuilding the candle operator's state from the lake, on start and after every rebalance: the
 * "simplest correct" option of exactly-once. Bronze holds exactly the trades up to the Kafka
 * offsets recorded in its commits, and silver holds what was finalised; so for every symbol of
 * the partitions we now own we
 *   1. read silver's frontier (the end of the last final window per interval),
 *   2. replay into a fresh operator state the bronze trades from the start of the oldest window
 *      that is still open or still revisable (the retention horizon), and
 *   3. tell the operator which of those windows silver already has (revision and content),
 * then resume consuming at the bronze offsets. Windows missing from silver (a crash between the
 * bronze and the silver commit) are emitted at the next flush; windows whose content differs
 * (a revision lost the same way) are re-emitted with revision + 1; nothing is emitted twice.
 */
import { CANDLE_INTERVALS, INTERVAL_MINUTES, type CandleInterval, type TradeEvent, type TradeSource } from '../../common/events/index.ts';
import { candleEventFromRow, SILVER_CANDLE_EVENT_COLUMNS, sqlLiteral, type LakeQueryEngine } from '../../lake/index.ts';
import { MINUTE_US, type CandleOperator } from '../candles/candle-operator.ts';
import { partitionOfKey } from './partition-of.ts';

const HOUR_US = 60 * MINUTE_US;

export interface RecoveryResult {
  readonly symbols: number;
  readonly trades: number;
  readonly restoredCandles: number;
}

function alignDown(us: number, sizeUs: number): number {
  return Math.floor(us / sizeUs) * sizeUs;
}

/**
 * Restores the state of every symbol whose key maps to one of `partitions` of a topic with
 * `numPartitions` partitions. `engine` must have been refreshed after the last bronze commit.
 */
export async function recoverOperatorState(opts: {
  engine: LakeQueryEngine;
  operator: CandleOperator;
  partitions: readonly number[];
  numPartitions: number;
  retentionMs: number;
  nowMs: number;
}): Promise<RecoveryResult> {
  const { engine, operator } = opts;
  const wanted = new Set(opts.partitions);
  const symbols = (
    await engine.query(`SELECT exchange, symbol, epoch_us(min(trade_time)) AS first_us, epoch_us(max(trade_time)) AS last_us FROM bronze_trades GROUP BY exchange, symbol`)
  ).rows
    .map((r) => ({ exchange: String(r.exchange), symbol: String(r.symbol), firstUs: Number(r.first_us), lastUs: Number(r.last_us) }))
    .filter((s) => wanted.has(partitionOfKey(`${s.exchange}:${s.symbol}`, opts.numPartitions)));
  if (symbols.length === 0) return { symbols: 0, trades: 0, restoredCandles: 0 };

  const frontiers = new Map<string, Partial<Record<CandleInterval, number>>>();
  for (const r of (
    await engine.query(`SELECT exchange, symbol, "interval", epoch_us(max(window_end)) AS end_us FROM silver_candles_all_revisions WHERE is_final GROUP BY ALL`)
  ).rows) {
    const key = `${r.exchange}:${r.symbol}`;
    const f = frontiers.get(key) ?? {};
    f[String(r.interval) as CandleInterval] = Number(r.end_us);
    frontiers.set(key, f);
  }

  let trades = 0;
  let restoredCandles = 0;
  const retentionUs = opts.retentionMs * 1000;
  for (const s of symbols) {
    const key = `${s.exchange}:${s.symbol}`;
    const partition = partitionOfKey(key, opts.numPartitions);
    const silver = frontiers.get(key);
    const where = `exchange = ${sqlLiteral(s.exchange)} AND symbol = ${sqlLiteral(s.symbol)}`;
    let fromUs = alignDown(s.firstUs, HOUR_US);
    if (silver !== undefined) {
      const frontierUs = {} as Record<CandleInterval, number>;
      for (const interval of CANDLE_INTERVALS) {
        const sizeUs = INTERVAL_MINUTES[interval] * MINUTE_US;
        frontierUs[interval] = silver[interval] ?? alignDown(s.firstUs, sizeUs);
      }
      const oldestOpen = Math.min(...Object.values(frontierUs));
      fromUs = Math.max(alignDown(Math.min(oldestOpen, s.lastUs - retentionUs), HOUR_US), alignDown(s.firstUs, HOUR_US));
      // The close carried into the first replayed window: the last trade (by minute, then id) before it.
      const carry = (
        await engine.query(
          `SELECT price::VARCHAR AS price, epoch_us(trade_time) AS time_us FROM bronze_trades WHERE ${where} AND trade_time < make_timestamp(${fromUs}) ORDER BY date_trunc('minute', trade_time) DESC, trade_id DESC LIMIT 1`,
        )
      ).rows[0];
      operator.restoreFrontier(s.exchange, s.symbol, partition, frontierUs, carry === undefined ? undefined : { close: String(carry.price), timeUs: Number(carry.time_us) }, fromUs);
      const emitted = await engine.query(`SELECT ${SILVER_CANDLE_EVENT_COLUMNS} FROM silver_candles WHERE ${where} AND is_final AND window_start >= make_timestamp(${fromUs})`);
      for (const row of emitted.rows) {
        const c = candleEventFromRow(row);
        operator.restoreEmitted(c.exchange, c.symbol, partition, c.interval, c.windowStartUs, c);
        restoredCandles++;
      }
    }
    const rows = (
      await engine.query(
        `SELECT kind, trade_id, first_trade_id, last_trade_id, price::VARCHAR AS price, qty::VARCHAR AS qty, quote_qty::VARCHAR AS quote_qty,
                is_buyer_maker, epoch_us(trade_time) AS trade_time_us, epoch_us(received_at) AS received_at_us, source
         FROM bronze_trades WHERE ${where} AND trade_time >= make_timestamp(${fromUs}) ORDER BY trade_time, trade_id`,
      )
    ).rows;
    for (const r of rows) {
      const t: TradeEvent = {
        v: 1,
        exchange: s.exchange,
        symbol: s.symbol,
        kind: r.kind === 'aggTrade' ? 'aggTrade' : 'trade',
        tradeId: Number(r.trade_id),
        firstTradeId: r.first_trade_id === null ? undefined : Number(r.first_trade_id),
        lastTradeId: r.last_trade_id === null ? undefined : Number(r.last_trade_id),
        price: String(r.price),
        qty: String(r.qty),
        quoteQty: String(r.quote_qty),
        isBuyerMaker: Boolean(r.is_buyer_maker),
        tradeTimeUs: Number(r.trade_time_us),
        receivedAtUs: Number(r.received_at_us),
        source: String(r.source) as TradeSource,
      };
      operator.add(t, partition, opts.nowMs);
    }
    trades += rows.length;
  }
  return { symbols: symbols.length, trades, restoredCandles };
}
