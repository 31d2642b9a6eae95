/**
 * Decoding and validating what the service reads: JSON, then the topic's zod schema, then the
 * lake's column limits (a DECIMAL(18,8) price cannot hold 9 decimals; the lake would refuse the
 * whole commit). Anything that fails becomes a dead letter with the reason; nothing is dropped.
 */
import type { z } from 'zod';
import { newsEventSchema, type NewsEvent, sentimentEventSchema, type SentimentEvent, tickerEventSchema, type TickerEvent, MAX_NAME_LENGTH, tradeEventSchema, type TradeEvent } from '../../common/events/index.ts';

export type Decoded<T> = { ok: true; event: T } | { ok: false; reason: string };

/** True when decimal string `value` fits DECIMAL(precision, scale) without rounding. */
export function fitsDecimal(value: string, precision: number, scale: number): boolean {
  // By character codes, without slicing: this runs three times per trade on the hot path.
  const n = value.length;
  const dot = value.indexOf('.');
  const wholeEnd = dot < 0 ? n : dot;
  let lead = 0;
  while (lead < wholeEnd && value.charCodeAt(lead) === 48) lead++;
  if (wholeEnd - lead > precision - scale) return false;
  if (dot < 0) return true;
  let end = n;
  while (end > dot + 1 && value.charCodeAt(end - 1) === 48) end--;
  return end - (dot + 1) <= scale;
}

function parseJson(raw: Buffer | null): Decoded<unknown> {
  if (raw === null) return { ok: false, reason: 'empty message (null value)' };
  try {
    return { ok: true, event: JSON.parse(raw.toString('utf8')) as unknown };
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
}

function check<T>(schema: z.ZodType<T>, raw: Buffer | null): Decoded<T> {
  const json = parseJson(raw);
  if (!json.ok) return json;
  const r = schema.safeParse(json.event);
  if (!r.success) return { ok: false, reason: `invalid event: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
  return { ok: true, event: r.data };
}

/** Exchange → symbols already checked against the name patterns (no key string built per trade). */
const validNames = new Map<string, Set<string>>();
let validNameCount = 0;
const EXCHANGE_RE = /^[a-z0-9_-]+$/;
const SYMBOL_RE = /^[A-Z0-9]+$/;
const SOURCES = new Set(['ws', 'rest', 'archive', 'simulator']);

function nonNegativeSafeInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * The hot path: the same rules as tradeEventSchema, checked by hand (zod costs several µs per
 * event, more than everything else the service does with a trade). Only when this says no does
 * zod run, to produce its precise reason; a disagreement favours zod.
 */
function isValidTradeFast(t: Record<string, unknown>): boolean {
  if (t.v !== 1) return false;
  const { exchange, symbol, kind, price, qty, quoteQty } = t;
  if (typeof exchange !== 'string' || typeof symbol !== 'string') return false;
  const symbols = validNames.get(exchange);
  if (symbols === undefined || !symbols.has(symbol)) {
    if (exchange.length > MAX_NAME_LENGTH || symbol.length > MAX_NAME_LENGTH || !EXCHANGE_RE.test(exchange) || !SYMBOL_RE.test(symbol)) return false;
    if (validNameCount < 100_000) {
      if (symbols === undefined) validNames.set(exchange, new Set([symbol]));
      else symbols.add(symbol);
      validNameCount++;
    }
  }
  if (kind !== 'trade' && kind !== 'aggTrade') return false;
  if (!nonNegativeSafeInt(t.tradeId)) return false;
  if (t.firstTradeId !== undefined && !nonNegativeSafeInt(t.firstTradeId)) return false;
  if (t.lastTradeId !== undefined && !nonNegativeSafeInt(t.lastTradeId)) return false;
  if (kind === 'aggTrade' && !(t.firstTradeId !== undefined && t.lastTradeId !== undefined && (t.firstTradeId as number) <= (t.lastTradeId as number))) return false;
  if (typeof price !== 'string' || typeof qty !== 'string' || typeof quoteQty !== 'string') return false;
  if (!isDecimalLiteral(price) || !isDecimalLiteral(qty) || !isDecimalLiteral(quoteQty)) return false;
  if (typeof t.isBuyerMaker !== 'boolean') return false;
  if (!nonNegativeSafeInt(t.tradeTimeUs) || !nonNegativeSafeInt(t.receivedAtUs)) return false;
  return typeof t.source === 'string' && SOURCES.has(t.source);
}

/** DECIMAL_PATTERN (common/decimal.ts) without a regex: (0|[1-9]\d*)(\.\d+)? */
function isDecimalLiteral(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let i = 0;
  const first = s.charCodeAt(0);
  if (first === 48) i = 1;
  else {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      i++;
    }
    if (i === 0) return false;
  }
  if (i === n) return true;
  if (s.charCodeAt(i) !== 46 || i === n - 1) return false;
  for (i++; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** bronze/trades: price and qty DECIMAL(18,8), quote_qty DECIMAL(38,16). */
export function decodeTrade(raw: Buffer | null): Decoded<TradeEvent> {
  if (raw === null) return { ok: false, reason: 'empty message (null value)' };
  let obj: unknown;
  try {
    obj = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  let t: TradeEvent;
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj) && isValidTradeFast(obj as Record<string, unknown>)) {
    t = obj as TradeEvent;
  } else {
    const r = tradeEventSchema.safeParse(obj);
    if (!r.success) return { ok: false, reason: `invalid event: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
    t = r.data;
  }
  if (!fitsDecimal(t.price, 18, 8)) return { ok: false, reason: `price ${t.price} does not fit DECIMAL(18,8)` };
  if (!fitsDecimal(t.qty, 18, 8)) return { ok: false, reason: `qty ${t.qty} does not fit DECIMAL(18,8)` };
  if (!fitsDecimal(t.quoteQty, 38, 16)) return { ok: false, reason: `quoteQty ${t.quoteQty} does not fit DECIMAL(38,16)` };
  return { ok: true, event: t };
}

/**
 * How far a trade's event time may lie from the times around it. A trade outside these limits
 * would poison the stream: its minute becomes a partition directory and a window, it moves the
 * partition's watermark (a trade dated 2100 would make every later trade late), and it starts a
 * gap to fill. It goes to the dead-letter topic instead.
 */
export interface EventTimeLimits {
  /** No trade is older than this (epoch µs); default 2009-01-03, the first Bitcoin block. */
  readonly earliestUs: number;
  /** Event time at most this far after the time the trade was received, and after now (ms). */
  readonly maxLeadMs: number;
  /** Live sources (`ws`): event time at most this far before the time it was received (ms). */
  readonly maxLiveLagMs: number;
}

export const DEFAULT_EVENT_TIME_LIMITS: EventTimeLimits = {
  earliestUs: Date.UTC(2009, 0, 3) * 1000,
  maxLeadMs: 5 * 60_000,
  maxLiveLagMs: 24 * 3_600_000,
};

function isoOf(us: number): string {
  const d = new Date(us / 1000);
  return Number.isNaN(d.getTime()) ? `${us} µs` : d.toISOString();
}

/** Why a trade's event time is out of bounds, or undefined when it is fine. */
export function eventTimeProblem(t: TradeEvent, nowUs: number, limits: EventTimeLimits): string | undefined {
  const time = t.tradeTimeUs;
  if (time < limits.earliestUs) return `tradeTimeUs ${isoOf(time)} is before ${isoOf(limits.earliestUs)} (STREAM_EARLIEST_EVENT_TIME)`;
  const leadUs = limits.maxLeadMs * 1000;
  if (time > t.receivedAtUs + leadUs) return `tradeTimeUs ${isoOf(time)} is more than ${limits.maxLeadMs} ms after receivedAtUs ${isoOf(t.receivedAtUs)} (STREAM_MAX_EVENT_LEAD_MS)`;
  if (time > nowUs + leadUs) return `tradeTimeUs ${isoOf(time)} is more than ${limits.maxLeadMs} ms in the future (STREAM_MAX_EVENT_LEAD_MS)`;
  if (t.source === 'ws' && time < t.receivedAtUs - limits.maxLiveLagMs * 1000) {
    return `tradeTimeUs ${isoOf(time)} is more than ${limits.maxLiveLagMs} ms before receivedAtUs ${isoOf(t.receivedAtUs)} of a live trade (STREAM_MAX_LIVE_EVENT_LAG_MS)`;
  }
  return undefined;
}

/** decodeTrade, then the event-time limits. */
export function tradeDecoder(limits: EventTimeLimits): (raw: Buffer | null, nowMs: number) => Decoded<TradeEvent> {
  return (raw, nowMs) => {
    const d = decodeTrade(raw);
    if (!d.ok) return d;
    const problem = eventTimeProblem(d.event, nowMs * 1000, limits);
    return problem === undefined ? d : { ok: false, reason: problem };
  };
}

/** bronze/tickers: prices and amounts DECIMAL(38,18). */
export function decodeTicker(raw: Buffer | null): Decoded<TickerEvent> {
  const d = check(tickerEventSchema, raw);
  if (!d.ok) return d;
  for (const field of ['price', 'marketCap', 'volume24h', 'high24h', 'low24h'] as const) {
    const v = d.event[field];
    if (v !== undefined && !fitsDecimal(v, 38, 18)) return { ok: false, reason: `${field} ${v} does not fit DECIMAL(38,18)` };
  }
  return d;
}

export function decodeSentiment(raw: Buffer | null): Decoded<SentimentEvent> {
  return check(sentimentEventSchema, raw);
}

export function decodeNews(raw: Buffer | null): Decoded<NewsEvent> {
  return check(newsEventSchema, raw);
}
