/**
 * `market.gaps.v1`: a hole in an exchange's trade id sequence seen by a live producer. Binance trade ids are
 * contiguous per symbol, so a jump from id 100 to id 104 means trades 101..103 were missed
 * (a dropped connection, a stall). Each gap names the missing ids and the time span they lie
 * in, so a repair (REST or archive backfill) can fetch exactly them. `status: 'filled'` means the
 * producer already fetched and published them itself; `open` ones still need a repair.
 */
import { z } from 'zod';
import { TOPICS } from '../topics.ts';
import { epochMicros } from './trade.ts';

export const TRADE_GAPS_TOPIC = TOPICS.gaps;

const id = z.number().int().nonnegative();

export const tradeGapEventSchema = z
  .object({
    v: z.literal(1),
    exchange: z.string().min(1).regex(/^[a-z0-9_-]+$/),
    symbol: z.string().min(1).regex(/^[A-Z0-9]+$/),
    /** The stream the gap was seen on. */
    stream: z.enum(['trade', 'aggTrade']),
    /** The missing exchange trade ids, inclusive. */
    firstMissingTradeId: id,
    lastMissingTradeId: id,
    /** On an aggTrade stream: the missing aggregate ids, inclusive. */
    firstMissingAggId: id.optional(),
    lastMissingAggId: id.optional(),
    /** Exchange times of the trades either side of the gap: the missing trades lie between. */
    afterTradeTimeUs: epochMicros,
    beforeTradeTimeUs: epochMicros,
    detectedAtUs: epochMicros,
    /** Whether the producer's connection dropped between the two trades either side. */
    acrossReconnect: z.boolean(),
    status: z.enum(['open', 'filled']),
    /** How the producer filled it itself (status `filled`). */
    filledBy: z.enum(['rest']).optional(),
  })
  .readonly()
  .refine((g) => g.firstMissingTradeId <= g.lastMissingTradeId, { message: 'firstMissingTradeId must be <= lastMissingTradeId' })
  .refine((g) => (g.firstMissingAggId === undefined) === (g.lastMissingAggId === undefined), { message: 'aggregate ids come in pairs' })
  .refine((g) => g.status === 'open' || g.filledBy !== undefined, { message: 'a filled gap says how' });

export type TradeGapEvent = z.infer<typeof tradeGapEventSchema>;

export function tradeGapMissingCount(g: Pick<TradeGapEvent, 'firstMissingTradeId' | 'lastMissingTradeId'>): number {
  return g.lastMissingTradeId - g.firstMissingTradeId + 1;
}

/** Kafka key: same as the trades' (`<exchange>:<symbol>`), so a symbol's gaps stay in order. */
export function tradeGapKey(g: Pick<TradeGapEvent, 'exchange' | 'symbol'>): string {
  return `${g.exchange}:${g.symbol}`;
}
