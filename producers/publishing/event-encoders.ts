/**
 * Validation and serialisation of an event for its topic, in one step: an encoder returns the
 * JSON bytes to send or the reason the event is invalid.
 *
 * The zod schemas in common/events are the contract. Trades are the hot path (hundreds of
 * thousands a second), where zod costs more than the rest of the publisher together, so trades
 * get a hand-written check that accepts exactly what `tradeEventSchema` accepts and writes
 * exactly what `JSON.stringify(tradeEventSchema.parse(v))` writes (unknown keys stripped, keys in
 * schema order). event-encoders.test.ts proves the equivalence with fast-check properties. When
 * the fast check rejects, zod is asked for the reason, so dead letters carry zod's message.
 */
import type { z } from 'zod';
import { DECIMAL_PATTERN } from '../../common/decimal.ts';
import { alertEventSchema, candleEventSchema, deadLetterSchema, TRADE_GAPS_TOPIC, tradeGapEventSchema, newsEventSchema, sentimentEventSchema, tickerEventSchema, TRADE_SOURCES, tradeEventSchema } from '../../common/events/index.ts';
import { TOPICS, type TopicName } from '../../common/topics.ts';

export type Encoded = { readonly ok: true; readonly json: string } | { readonly ok: false; readonly reason: string };
export type EventEncoder = (value: unknown) => Encoded;

/** zod's issues as one line: `price: must be a non-negative decimal string ...; v: ...`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(event)'}: ${i.message}`).join('; ');
}

/** An encoder that validates with a zod schema and serialises what zod returns. */
export function zodEncoder(schema: z.ZodType): EventEncoder {
  return (value) => {
    const result = schema.safeParse(value);
    return result.success ? { ok: true, json: JSON.stringify(result.data) } : { ok: false, reason: describeZodError(result.error) };
  };
}

const EXCHANGE_PATTERN = /^[a-z0-9_-]+$/;
const SYMBOL_PATTERN = /^[A-Z0-9]+$/;
const SOURCES: ReadonlySet<unknown> = new Set(TRADE_SOURCES);

const isNonNegativeInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isDecimal = (s: unknown): s is string => typeof s === 'string' && DECIMAL_PATTERN.test(s);

/**
 * The fast path for `market.trades.v1`: true when `tradeEventSchema` would accept `t`.
 * Kept in the schema's field order so the two are easy to compare line by line.
 */
export function isValidTradeFast(t: unknown): boolean {
  if (typeof t !== 'object' || t === null || Array.isArray(t)) return false;
  const e = t as Record<string, unknown>;
  if (e.v !== 1) return false;
  if (typeof e.exchange !== 'string' || !EXCHANGE_PATTERN.test(e.exchange)) return false;
  if (typeof e.symbol !== 'string' || !SYMBOL_PATTERN.test(e.symbol)) return false;
  if (e.kind !== 'trade' && e.kind !== 'aggTrade') return false;
  if (!isNonNegativeInt(e.tradeId)) return false;
  const first = e.firstTradeId;
  const last = e.lastTradeId;
  if (first !== undefined && !isNonNegativeInt(first)) return false;
  if (last !== undefined && !isNonNegativeInt(last)) return false;
  if (!isDecimal(e.price) || !isDecimal(e.qty) || !isDecimal(e.quoteQty)) return false;
  if (typeof e.isBuyerMaker !== 'boolean') return false;
  if (!isNonNegativeInt(e.tradeTimeUs) || !isNonNegativeInt(e.receivedAtUs)) return false;
  if (!SOURCES.has(e.source)) return false;
  if (e.kind === 'aggTrade' && (first === undefined || last === undefined || (first as number) > (last as number))) return false;
  return true;
}

/**
 * Serialises a trade that passed `isValidTradeFast`. Every string field matched a pattern
 * without quotes or backslashes, so no JSON escaping is needed; numbers are safe integers.
 */
function serializeValidTrade(e: Record<string, unknown>): string {
  let json = `{"v":1,"exchange":"${e.exchange}","symbol":"${e.symbol}","kind":"${e.kind}","tradeId":${e.tradeId}`;
  if (e.firstTradeId !== undefined) json += `,"firstTradeId":${e.firstTradeId}`;
  if (e.lastTradeId !== undefined) json += `,"lastTradeId":${e.lastTradeId}`;
  return `${json},"price":"${e.price}","qty":"${e.qty}","quoteQty":"${e.quoteQty}","isBuyerMaker":${e.isBuyerMaker},"tradeTimeUs":${e.tradeTimeUs},"receivedAtUs":${e.receivedAtUs},"source":"${e.source}"}`;
}

export const encodeTrade: EventEncoder = (value) => {
  if (isValidTradeFast(value)) return { ok: true, json: serializeValidTrade(value as Record<string, unknown>) };
  const result = tradeEventSchema.safeParse(value);
  // Should the two ever disagree, zod (the contract) wins; the property test keeps this branch dead.
  return result.success ? { ok: true, json: JSON.stringify(result.data) } : { ok: false, reason: describeZodError(result.error) };
};

/** Topics the publisher can validate. */
export type PublishTopic = TopicName;

/** The encoder of each topic whose schema lives in common/events. */
export const DEFAULT_ENCODERS: Readonly<Partial<Record<PublishTopic, EventEncoder>>> = {
  [TOPICS.trades]: encodeTrade,
  [TOPICS.tickers]: zodEncoder(tickerEventSchema),
  [TOPICS.sentiment]: zodEncoder(sentimentEventSchema),
  [TOPICS.news]: zodEncoder(newsEventSchema),
  [TOPICS.candles]: zodEncoder(candleEventSchema),
  [TOPICS.deadletter]: zodEncoder(deadLetterSchema),
  [TOPICS.alerts]: zodEncoder(alertEventSchema),
  [TRADE_GAPS_TOPIC]: zodEncoder(tradeGapEventSchema),
};
