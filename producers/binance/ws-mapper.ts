/**
 * Binance spot websocket frames → TradeEvent. The wire formats (combined-stream wrapper,
 * `trade` and `aggTrade` payloads) are private to this file. Prices and quantities are kept
 * exactly as sent; quoteQty is their exact product. Times are read as milliseconds or, for
 * connections opened with `timeUnit=MICROSECOND`, microseconds, and kept in µs.
 *
 * Every frame gets a verdict: a trade, something deliberately ignored (subscription replies,
 * streams we do not map), or invalid with a reason (for the dead-letter topic). Never a throw.
 */
import { z } from 'zod';
import { multiplyDecimals, normalizeDecimal, DECIMAL_PATTERN } from '../../common/decimal.ts';
import type { TradeEvent } from '../../common/events/index.ts';

export type FrameVerdict =
  | { readonly kind: 'trade'; readonly stream: string | undefined; readonly event: TradeEvent }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string };

const decimal = z.string().regex(DECIMAL_PATTERN, 'a decimal string');
const id = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const symbol = z.string().regex(/^[A-Z0-9]+$/, 'an upper-case symbol');

/** `<symbol>@trade`. Older frames also carry `b`/`a` (order ids); `M` is "ignore". */
const rawTrade = z.object({
  e: z.literal('trade'),
  E: id,
  s: symbol,
  t: id,
  p: decimal,
  q: decimal,
  T: id,
  m: z.boolean(),
});

/** `<symbol>@aggTrade`: aggregate id `a` covering trade ids `f`..`l`. */
const rawAggTrade = z.object({
  e: z.literal('aggTrade'),
  E: id,
  s: symbol,
  a: id,
  p: decimal,
  q: decimal,
  f: id,
  l: id,
  T: id,
  m: z.boolean(),
});

/** Epoch ms and epoch µs differ by 1000×; 1e14 separates them for any date from 1973 to 5138. */
export function toEpochMicros(t: number): number {
  return t >= 1e14 ? t : t * 1000;
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`).join('; ');
}

/** The event of a trade or an aggTrade: the fields both carry, and the ids that set them apart. */
function wsTradeEvent(
  exchange: string,
  d: { readonly s: string; readonly p: string; readonly q: string; readonly m: boolean; readonly T: number },
  receivedAtUs: number,
  ids: Pick<TradeEvent, 'kind' | 'tradeId' | 'firstTradeId' | 'lastTradeId'>,
): TradeEvent {
  return {
    v: 1,
    exchange,
    symbol: d.s,
    ...ids,
    price: d.p,
    qty: d.q,
    quoteQty: normalizeDecimal(multiplyDecimals(d.p, d.q)),
    isBuyerMaker: d.m,
    tradeTimeUs: toEpochMicros(d.T),
    receivedAtUs,
    source: 'ws',
  };
}

export function mapWsFrame(raw: Buffer | string, receivedAtUs: number, exchange = 'binance'): FrameVerdict {
  let frame: unknown;
  try {
    frame = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (err) {
    return { kind: 'invalid', reason: `not JSON: ${(err as Error).message}` };
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return { kind: 'invalid', reason: 'not a JSON object' };
  const obj = frame as Record<string, unknown>;
  if ('result' in obj && 'id' in obj) return { kind: 'ignored', reason: 'control reply' };
  if ('code' in obj && 'msg' in obj) return { kind: 'invalid', reason: `error from Binance: ${String(obj.code)} ${String(obj.msg)}` };

  // Combined streams wrap each payload: {"stream":"btcusdt@trade","data":{...}}; raw streams do not.
  let stream: string | undefined;
  let data: unknown = obj;
  if ('stream' in obj || 'data' in obj) {
    if (typeof obj.stream !== 'string' || obj.data === null || typeof obj.data !== 'object') {
      return { kind: 'invalid', reason: 'combined-stream frame without a string "stream" and an object "data"' };
    }
    stream = obj.stream;
    data = obj.data;
  }
  const type = (data as Record<string, unknown>).e;
  if (type === 'trade') {
    const parsed = rawTrade.safeParse(data);
    if (!parsed.success) return { kind: 'invalid', reason: `trade: ${describe(parsed.error)}` };
    const d = parsed.data;
    if (stream !== undefined && !stream.startsWith(`${d.s.toLowerCase()}@trade`)) {
      return { kind: 'invalid', reason: `trade for ${d.s} arrived on stream ${stream}` };
    }
    return { kind: 'trade', stream, event: wsTradeEvent(exchange, d, receivedAtUs, { kind: 'trade', tradeId: d.t }) };
  }
  if (type === 'aggTrade') {
    const parsed = rawAggTrade.safeParse(data);
    if (!parsed.success) return { kind: 'invalid', reason: `aggTrade: ${describe(parsed.error)}` };
    const d = parsed.data;
    if (d.f > d.l) return { kind: 'invalid', reason: `aggTrade ${d.a}: first trade id ${d.f} > last ${d.l}` };
    if (stream !== undefined && !stream.startsWith(`${d.s.toLowerCase()}@aggTrade`)) {
      return { kind: 'invalid', reason: `aggTrade for ${d.s} arrived on stream ${stream}` };
    }
    return { kind: 'trade', stream, event: wsTradeEvent(exchange, d, receivedAtUs, { kind: 'aggTrade', tradeId: d.a, firstTradeId: d.f, lastTradeId: d.l }) };
  }
  if (typeof type === 'string' || stream !== undefined) return { kind: 'ignored', reason: `not a trade stream (${stream ?? type})` };
  return { kind: 'invalid', reason: 'neither a combined-stream frame nor a trade or aggTrade event' };
}
