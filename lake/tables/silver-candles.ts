/**
 * `silver/candles`: OHLC candles built by streaming (and by batch recomputation), one row per
 * revision of a candle. A candle is identified by (exchange, symbol, interval, window_start);
 * streaming appends a new revision whenever it changes (provisional, then final), and the
 * `silver_candles` view shows only the highest revision of each. Partitioned by symbol and the
 * UTC date of window_start: the queries filter by symbol and time range; intervals are not a
 * partition because they would multiply the number of small files for little pruning gain.
 */
import type { TableDefinition } from '../table.ts';

export const CANDLE_INTERVALS = ['1m', '5m', '15m', '1h'] as const;
export type CandleInterval = (typeof CANDLE_INTERVALS)[number];

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

/** The key of one candle; revisions of a candle share it. */
export const CANDLE_KEY = ['exchange', 'symbol', 'interval', 'window_start'] as const;
