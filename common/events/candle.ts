/**
 * `market.candles.v1`: OHLC candles from the streaming service. A candle is `provisional` while
 * its window is still forming (updated at most every 250 ms per symbol, for live charts) and
 * `final` once the event-time watermark has passed its end. A late trade revises a final candle:
 * the same window is published again, final, with `revision` + 1 (the latest revision wins).
 */
import { z } from 'zod';
import { decimalString, epochMicros } from './trade.ts';

export const CANDLE_INTERVALS = ['1m', '5m', '15m', '1h'] as const;
export type CandleInterval = (typeof CANDLE_INTERVALS)[number];

/**
 * How long after the last traded minute an empty minute still gets Binance's empty candle (the
 * previous close, volume 0): a few hours of quiet minutes are filled, a longer gap is missing. One
 * rule for the stream's operator, its batch recomputation and the quality check that compares them.
 */
export const DEFAULT_MAX_FILL_GAP_MS = 3 * 3_600_000;

/** Length of each interval in minutes; windows are aligned to UTC (epoch multiples). */
export const INTERVAL_MINUTES: Readonly<Record<CandleInterval, number>> = { '1m': 1, '5m': 5, '15m': 15, '1h': 60 };

export const candleEventSchema = z
  .object({
    v: z.literal(1),
    exchange: z.string().min(1),
    symbol: z.string().min(1),
    interval: z.enum(CANDLE_INTERVALS),
    /** Window start, inclusive, epoch µs (UTC-aligned). */
    windowStartUs: epochMicros,
    /** Window end, exclusive, epoch µs (Binance's close_time is this minus 1 ms). */
    windowEndUs: epochMicros,
    open: decimalString,
    high: decimalString,
    low: decimalString,
    close: decimalString,
    volume: decimalString,
    quoteVolume: decimalString,
    /** quoteVolume / volume, exact division rounded half-up to 16 places; null when volume is 0. */
    vwap: decimalString.nullable(),
    /** Exchange trades in the window (an aggTrade counts its underlying trades). */
    tradeCount: z.number().int().nonnegative(),
    takerBuyVolume: decimalString,
    takerBuyQuoteVolume: decimalString,
    /** Null for an empty window (no trades: open = high = low = close = previous close). */
    firstTradeId: z.number().int().nonnegative().nullable(),
    lastTradeId: z.number().int().nonnegative().nullable(),
    /** 0 for the first final version of a window; + 1 for each revision caused by late trades. */
    revision: z.number().int().nonnegative(),
    isFinal: z.boolean(),
    /** When the streaming service finalised (or revised) it, epoch µs; null while provisional. */
    finalizedAtUs: epochMicros.nullable(),
    /** When this message was built, epoch µs (for end-to-end latency measurement). */
    emittedAtUs: epochMicros,
  })
  .readonly();

export type CandleEvent = z.infer<typeof candleEventSchema>;

/** Kafka key: the same `<exchange>:<symbol>` as the trades, so a symbol's candles stay in order. */
export function candleKey(c: Pick<CandleEvent, 'exchange' | 'symbol'>): string {
  return `${c.exchange}:${c.symbol}`;
}
