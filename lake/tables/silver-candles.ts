/**
 * `silver/candles`: OHLC candles built by streaming (and by batch recomputation), one row per
 * revision of a candle. A candle is identified by (exchange, symbol, interval, window_start);
 * streaming appends a new revision whenever it changes (provisional, then final), and the
 * `silver_candles` view shows only the highest revision of each. Partitioned by symbol and the
 * UTC date of window_start: the queries filter by symbol and time range; intervals are not a
 * partition because they would multiply the number of small files for little pruning gain.
 */
import type { CandleEvent } from '../../common/events/index.ts';
import type { LakeRow } from '../writer.ts';
import type { TableDefinition } from './table-definition.ts';

// One list of intervals: the candle events' (common/events/candle.ts), re-exported for the lake's users.
export { CANDLE_INTERVALS, type CandleInterval } from '../../common/events/index.ts';

export const SILVER_CANDLES: TableDefinition = {
  name: 'silver/candles',
  description: 'OHLC candles per exchange, symbol and interval; every revision is kept, the view shows the latest.',
  columns: [
    { name: 'exchange', type: 'string', nullable: false },
    { name: 'symbol', type: 'string', nullable: false },
    { name: 'interval', type: 'string', nullable: false, comment: '1m | 5m | 15m | 1h' },
    { name: 'window_start', type: 'timestamp', nullable: false, comment: 'inclusive, UTC' },
    { name: 'window_end', type: 'timestamp', nullable: false, comment: 'exclusive, UTC' },
    { name: 'open', type: 'decimal(18,8)', nullable: false },
    { name: 'high', type: 'decimal(18,8)', nullable: false },
    { name: 'low', type: 'decimal(18,8)', nullable: false },
    { name: 'close', type: 'decimal(18,8)', nullable: false },
    { name: 'volume', type: 'decimal(38,8)', nullable: false },
    { name: 'quote_volume', type: 'decimal(38,16)', nullable: false },
    { name: 'vwap', type: 'decimal(38,16)', comment: 'quote_volume / volume rounded to 16 places; null when volume is 0' },
    { name: 'trade_count', type: 'long', nullable: false, comment: 'exchange trades (aggTrades count their underlying trades)' },
    { name: 'taker_buy_volume', type: 'decimal(38,8)', nullable: false },
    { name: 'taker_buy_quote_volume', type: 'decimal(38,16)', nullable: false },
    { name: 'first_trade_id', type: 'long', comment: 'null for a window without trades' },
    { name: 'last_trade_id', type: 'long' },
    { name: 'revision', type: 'long', nullable: false, comment: 'increases with every new version of the same candle' },
    { name: 'is_final', type: 'boolean', nullable: false },
    { name: 'finalized_at', type: 'timestamp', comment: 'when the candle became final (null while provisional)' },
    {
      name: 'source',
      type: 'string',
      comment: 'what made the candle: null = the streaming service; klines | trades | aggTrades | rest = a backfill from that Binance source',
    },
    { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(window_start)) AS DATE)` },
  ],
  partitionColumns: ['symbol', 'date'],
};

/** Added after the first release: tables created before it gain it by `addColumns` (see ensureSilverSourceColumn). */
export const SILVER_CANDLES_SOURCE_COLUMN = SILVER_CANDLES.columns.find((c) => c.name === 'source')!;

/**
 * The Delta `txn` appId a backfill records for each symbol-day partition of silver/candles it
 * rewrites (version: the backfill run's version). The backfill uses it to find its own earlier
 * commit; the stream uses it to notice that a backfill rewrote a partition it writes, and numbers
 * its next revisions of those candles above the backfill's (streaming/service/backfill-revisions.ts).
 */
export function backfillTxnAppId(exchange: string, symbol: string, day: string): string {
  return `backfill:${exchange}:${symbol}:${day}`;
}

/** The key of one candle; revisions of a candle share it. */
export const CANDLE_KEY = ['exchange', 'symbol', 'interval', 'window_start'] as const;

/** The silver row of a candle event (field names → column names; `date` is derived on write). */
export function candleEventToRow(c: CandleEvent): LakeRow {
  return {
    exchange: c.exchange,
    symbol: c.symbol,
    interval: c.interval,
    window_start: c.windowStartUs,
    window_end: c.windowEndUs,
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
    quote_volume: c.quoteVolume,
    vwap: c.vwap,
    trade_count: c.tradeCount,
    taker_buy_volume: c.takerBuyVolume,
    taker_buy_quote_volume: c.takerBuyQuoteVolume,
    first_trade_id: c.firstTradeId,
    last_trade_id: c.lastTradeId,
    revision: c.revision,
    is_final: c.isFinal,
    finalized_at: c.finalizedAtUs,
  };
}

/** The SELECT list that reads silver rows in the shape `candleEventFromRow` takes. */
export const SILVER_CANDLE_EVENT_COLUMNS = `exchange, symbol, "interval", epoch_us(window_start) AS window_start_us, epoch_us(window_end) AS window_end_us,
  open::VARCHAR AS open, high::VARCHAR AS high, low::VARCHAR AS low, close::VARCHAR AS close, volume::VARCHAR AS volume,
  quote_volume::VARCHAR AS quote_volume, vwap::VARCHAR AS vwap, trade_count, taker_buy_volume::VARCHAR AS taker_buy_volume,
  taker_buy_quote_volume::VARCHAR AS taker_buy_quote_volume, first_trade_id, last_trade_id, revision, is_final, epoch_us(finalized_at) AS finalized_at_us`;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A candle event from a row selected with SILVER_CANDLE_EVENT_COLUMNS. */
export function candleEventFromRow(r: Record<string, unknown>): CandleEvent {
  return {
    v: 1,
    exchange: String(r.exchange),
    symbol: String(r.symbol),
    interval: String(r.interval) as CandleEvent['interval'],
    windowStartUs: num(r.window_start_us),
    windowEndUs: num(r.window_end_us),
    open: String(r.open),
    high: String(r.high),
    low: String(r.low),
    close: String(r.close),
    volume: String(r.volume),
    quoteVolume: String(r.quote_volume),
    vwap: r.vwap === null ? null : String(r.vwap),
    tradeCount: num(r.trade_count),
    takerBuyVolume: String(r.taker_buy_volume),
    takerBuyQuoteVolume: String(r.taker_buy_quote_volume),
    firstTradeId: numOrNull(r.first_trade_id),
    lastTradeId: numOrNull(r.last_trade_id),
    revision: num(r.revision),
    isFinal: Boolean(r.is_final),
    finalizedAtUs: numOrNull(r.finalized_at_us),
    emittedAtUs: numOrNull(r.finalized_at_us) ?? 0,
  };
}
