/** `market.tickers.v1`: a market snapshot of one coin from an aggregator (CoinGecko). */
import { z } from 'zod';
import { decimalString, epochMicros } from './trade.ts';

export const tickerEventSchema = z
  .object({
    v: z.literal(1),
    /** The aggregator, e.g. `coingecko`. */
    source: z.string().min(1),
    /** The aggregator's coin id, e.g. `bitcoin`. */
    coinId: z.string().min(1),
    /** Upper-case ticker symbol, e.g. `BTC`. */
    symbol: z.string().min(1),
    /** Quote currency, lower case as the API takes it, e.g. `usd`. */
    vsCurrency: z.string().min(1),
    price: decimalString,
    marketCap: decimalString.optional(),
    volume24h: decimalString.optional(),
    high24h: decimalString.optional(),
    low24h: decimalString.optional(),
    /** Percent change over 24 h; may be negative, so a plain number. */
    priceChangePct24h: z.number().optional(),
    /** The aggregator's own "last updated" time for this coin, epoch µs. */
    sourceTimeUs: epochMicros,
    receivedAtUs: epochMicros,
  })
  .readonly();
export type TickerEvent = z.infer<typeof tickerEventSchema>;

/** Kafka key: `<source>:<SYMBOL>-<vs>` keeps one coin's snapshots in order. */
export function tickerKey(t: Pick<TickerEvent, 'source' | 'symbol' | 'vsCurrency'>): string {
  return `${t.source}:${t.symbol}-${t.vsCurrency}`;
}
