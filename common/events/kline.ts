/**
 * A normalised exchange kline (candlestick) as Binance publishes it in its archives and on
 * `/api/v3/klines`: the exchange's own candle, read for backfills and as an oracle, not one we
 * built (those travel on market.candles.v1). Times are epoch µs; the window is
 * [openTimeUs, closeTimeUs] inclusive, as Binance states it (close = next open - 1 unit).
 */
import { z } from 'zod';
import { decimalString, epochMicros } from './trade.ts';

export const KLINE_INTERVALS = ['1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1mo'] as const;
export type KlineInterval = (typeof KLINE_INTERVALS)[number];

export const klineSchema = z
  .object({
    v: z.literal(1),
    exchange: z.string().min(1).regex(/^[a-z0-9_-]+$/),
    symbol: z.string().min(1).regex(/^[A-Z0-9]+$/),
    interval: z.enum(KLINE_INTERVALS),
    openTimeUs: epochMicros,
    closeTimeUs: epochMicros,
    open: decimalString,
    high: decimalString,
    low: decimalString,
    close: decimalString,
    /** Base-asset volume. */
    volume: decimalString,
    quoteVolume: decimalString,
    tradeCount: z.number().int().nonnegative(),
    /** Volumes of the trades whose taker bought. */
    takerBuyVolume: decimalString,
    takerBuyQuoteVolume: decimalString,
  })
  .readonly();

export type Kline = z.infer<typeof klineSchema>;
