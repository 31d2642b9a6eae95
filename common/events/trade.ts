/**
 * The normalised trade, as it travels on `market.trades.v1`. Every source (websocket, REST,
 * archive, simulator) maps its raw wire format to this one shape. The exchange's time and our
 * receive time are kept apart; prices and quantities stay exact decimal strings.
 */
import { z } from 'zod';
import { DECIMAL_PATTERN } from '../decimal.ts';

export const decimalString = z.string().regex(DECIMAL_PATTERN, 'must be a non-negative decimal string such as "4261.48"');
/** Epoch microseconds (Binance archives switched from ms to µs in 2025; we keep µs throughout). */
export const epochMicros = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const TRADE_SOURCES = ['ws', 'rest', 'archive', 'simulator'] as const;
export type TradeSource = (typeof TRADE_SOURCES)[number];

/** Longest exchange id or symbol (Binance's longest symbols have about 20 characters). */
export const MAX_NAME_LENGTH = 32;

export const tradeEventSchema = z
  .object({
    /** Schema version of this event (the topic's `.v1` is the compatibility line). */
    v: z.literal(1),
    // Both become partition directories and Kafka keys: short, from a safe alphabet.
    exchange: z.string().min(1).max(MAX_NAME_LENGTH).regex(/^[a-z0-9_-]+$/, 'lower-case exchange id'),
    symbol: z.string().min(1).max(MAX_NAME_LENGTH).regex(/^[A-Z0-9]+$/, 'upper-case symbol such as BTCUSDT'),
    /** `trade`: one trade. `aggTrade`: Binance aggregate trade covering firstTradeId..lastTradeId. */
    kind: z.enum(['trade', 'aggTrade']),
    /** Trade id; for an aggTrade its aggregate id. Contiguous per symbol on Binance. */
    tradeId: z.number().int().nonnegative(),
    firstTradeId: z.number().int().nonnegative().optional(),
    lastTradeId: z.number().int().nonnegative().optional(),
    price: decimalString,
    qty: decimalString,
    /** price × qty, exact (archives carry it; otherwise the mapper multiplies exactly). */
    quoteQty: decimalString,
    /** True when the buyer was the maker, i.e. the taker sold. */
    isBuyerMaker: z.boolean(),
    /** The exchange's trade time, epoch µs. */
    tradeTimeUs: epochMicros,
    /** When marketlake received it, epoch µs. */
    receivedAtUs: epochMicros,
    source: z.enum(TRADE_SOURCES),
  })
  .readonly()
  .refine((t) => t.kind === 'trade' || (t.firstTradeId !== undefined && t.lastTradeId !== undefined && t.firstTradeId <= t.lastTradeId), {
    message: 'an aggTrade needs firstTradeId <= lastTradeId',
  });

export type TradeEvent = z.infer<typeof tradeEventSchema>;

/** Kafka key: one symbol stays in one partition, in order. */
export function tradeKey(t: Pick<TradeEvent, 'exchange' | 'symbol'>): string {
  return `${t.exchange}:${t.symbol}`;
}

/** How many exchange trades an event stands for (aggTrades count their underlying trades). */
export function underlyingTradeCount(t: TradeEvent): number {
  return t.kind === 'aggTrade' ? t.lastTradeId! - t.firstTradeId! + 1 : 1;
}
