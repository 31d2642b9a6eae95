/**
 * CoinGecko's wire formats (`/coins/markets`, `/simple/price`), private to this file, mapped to
 * TickerEvent. Prices arrive as JSON numbers; they become decimal strings with the digits
 * CoinGecko printed (see json-number.ts). One bad coin does not spoil the others: it comes back
 * in `rejected` with the reason and its raw JSON, for the dead-letter topic.
 */
import { z } from 'zod';
import type { TickerEvent } from '../../common/events/index.ts';
import { numberToDecimalString } from '../polling/json-number.ts';
import { KNOWN_COIN_SYMBOLS } from './coin-symbols.ts';

export interface Rejected {
  readonly reason: string;
  readonly raw: string;
}

export interface Mapped {
  readonly events: TickerEvent[];
  readonly rejected: Rejected[];
}

const nonNegative = z.number().finite().nonnegative();

const marketCoinSchema = z.object({
  id: z.string().min(1),
  symbol: z.string().min(1),
  current_price: nonNegative,
  market_cap: nonNegative.nullish(),
  total_volume: nonNegative.nullish(),
  high_24h: nonNegative.nullish(),
  low_24h: nonNegative.nullish(),
  price_change_percentage_24h: z.number().finite().nullish(),
  last_updated: z.iso.datetime({ offset: true }),
});

const simplePriceCoinSchema = z.record(z.string(), z.number().finite().nullable());

const SOURCE = 'coingecko';

function decimalOrUndefined(value: number | null | undefined): string | undefined {
  return value === null || value === undefined ? undefined : numberToDecimalString(value);
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** `/coins/markets?vs_currency=<vs>`: an array of coins. Throws if the body is not an array. */
export function mapCoinsMarkets(body: unknown, vsCurrency: string, receivedAtUs: number): Mapped {
  if (!Array.isArray(body)) throw new TypeError('coins/markets: expected a JSON array of coins');
  const events: TickerEvent[] = [];
  const rejected: Rejected[] = [];
  for (const entry of body) {
    const parsed = marketCoinSchema.safeParse(entry);
    if (!parsed.success) {
      rejected.push({ reason: `coins/markets entry: ${issues(parsed.error)}`, raw: JSON.stringify(entry) });
      continue;
    }
    const c = parsed.data;
    events.push({
      v: 1,
      source: SOURCE,
      coinId: c.id,
      symbol: c.symbol.toUpperCase(),
      vsCurrency,
      price: numberToDecimalString(c.current_price),
      marketCap: decimalOrUndefined(c.market_cap),
      volume24h: decimalOrUndefined(c.total_volume),
      high24h: decimalOrUndefined(c.high_24h),
      low24h: decimalOrUndefined(c.low_24h),
      priceChangePct24h: c.price_change_percentage_24h ?? undefined,
      sourceTimeUs: Date.parse(c.last_updated) * 1000,
      receivedAtUs,
    });
  }
  return { events, rejected };
}

/**
 * `/simple/price?ids=..&vs_currencies=<vs>&include_market_cap=true&include_24hr_vol=true&
 * include_24hr_change=true&include_last_updated_at=true`: `{ <coin id>: { <vs>: price, ... } }`.
 */
export function mapSimplePrice(
  body: unknown,
  vsCurrency: string,
  receivedAtUs: number,
  symbolOf: (coinId: string) => string = (id) => KNOWN_COIN_SYMBOLS[id] ?? id.toUpperCase(),
): Mapped {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new TypeError('simple/price: expected a JSON object keyed by coin id');
  const events: TickerEvent[] = [];
  const rejected: Rejected[] = [];
  for (const [coinId, entry] of Object.entries(body)) {
    const parsed = simplePriceCoinSchema.safeParse(entry);
    const fields = parsed.success ? parsed.data : undefined;
    const price = fields?.[vsCurrency];
    const updatedAt = fields?.last_updated_at;
    const problem = !fields
      ? `simple/price ${coinId}: ${issues(parsed.error!)}`
      : price === undefined || price === null || price < 0
        ? `simple/price ${coinId}: no non-negative ${vsCurrency} price`
        : updatedAt === undefined || updatedAt === null || !Number.isInteger(updatedAt) || updatedAt < 0
          ? `simple/price ${coinId}: no last_updated_at (request include_last_updated_at=true)`
          : undefined;
    if (problem || !fields) {
      rejected.push({ reason: problem ?? 'invalid', raw: JSON.stringify({ [coinId]: entry }) });
      continue;
    }
    const nonNeg = (v: number | null | undefined) => (v === null || v === undefined || v < 0 ? undefined : numberToDecimalString(v));
    const change = fields[`${vsCurrency}_24h_change`];
    events.push({
      v: 1,
      source: SOURCE,
      coinId,
      symbol: symbolOf(coinId),
      vsCurrency,
      price: numberToDecimalString(price!),
      marketCap: nonNeg(fields[`${vsCurrency}_market_cap`]),
      volume24h: nonNeg(fields[`${vsCurrency}_24h_vol`]),
      priceChangePct24h: change ?? undefined,
      sourceTimeUs: updatedAt! * 1_000_000,
      receivedAtUs,
    });
  }
  return { events, rejected };
}
