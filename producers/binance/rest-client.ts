/**
 * Binance spot REST client for what backfills and gap repair need: `/api/v3/aggTrades` (paging
 * by fromId and by time) and `/api/v3/klines`, normalised to TradeEvent and Kline.
 *
 * - Request weight is budgeted (see rest-weight.ts) so we wait instead of being banned.
 * - 429 and 418 are retried after the server's Retry-After (and every other request waits too);
 *   5xx, timeouts and network errors are retried with exponential backoff and jitter (p-retry).
 * - Other 4xx are final: `BinanceApiError` with Binance's code and message; an unknown symbol
 *   (-1121) is an `InvalidSymbolError` naming it.
 */
import pRetry, { AbortError } from 'p-retry';
import { multiplyDecimals } from '../../common/decimal.ts';
import type { Kline, KlineInterval, TradeEvent } from '../../common/events/index.ts';
import type { Logger } from '../../common/logger.ts';
import { RequestWeightBudget } from './rest-weight.ts';

export class BinanceApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    readonly binanceMessage: string,
    readonly path: string,
  ) {
    super(`Binance ${path}: HTTP ${status}${code !== undefined ? ` code ${code}` : ''}: ${binanceMessage}`);
    this.name = 'BinanceApiError';
  }
}

export class InvalidSymbolError extends BinanceApiError {
  constructor(
    readonly symbol: string,
    status: number,
    code: number,
    message: string,
    path: string,
  ) {
    super(status, code, message, path);
    this.message = `Binance does not know the symbol ${JSON.stringify(symbol)} (${message}): check the market exists on Binance spot`;
    this.name = 'InvalidSymbolError';
  }
}

class RateLimitedError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number,
  ) {
    super(`Binance rate limit: HTTP ${status}, retry after ${retryAfterMs} ms`);
  }
}

class RetriableHttpError extends Error {}

export interface BinanceRestOptions {
  readonly baseUrl?: string;
  readonly logger?: Logger;
  readonly weightLimitPerMinute?: number;
  readonly timeoutMs?: number;
  /** Retries of one request (rate limits included). */
  readonly retries?: number;
  /** First backoff of 5xx / network retries. */
  readonly minBackoffMs?: number;
  readonly exchange?: string;
}

/** Binance's documented weights (spot, 2024). */
const WEIGHTS = { aggTrades: 4, klines: 2, ping: 1 } as const;
const MAX_LIMIT = 1000;
const ONE_HOUR_MS = 3_600_000;

interface RawAggTrade {
  a: number;
  p: string;
  q: string;
  f: number;
  l: number;
  T: number;
  m: boolean;
}

type RawKline = [number, string, string, string, string, string, number, string, number, string, string, string];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** REST times are ms, or µs when asked for; normalise to µs by magnitude as the archives do. */
const toMicros = (t: number) => (t >= 1e14 ? t : t * 1000);

export class BinanceRestClient {
  readonly baseUrl: string;
  readonly weight: RequestWeightBudget;
  private readonly exchange: string;
  /** Counts for metrics and tests. */
  readonly stats = { requests: 0, rateLimited: 0, retries: 0, weightWaits: 0 };

  constructor(private readonly opts: BinanceRestOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? 'https://api.binance.com').replace(/\/+$/, '');
    this.weight = new RequestWeightBudget(opts.weightLimitPerMinute ?? 6000);
    this.exchange = opts.exchange ?? 'binance';
  }

  private async request<T>(path: string, params: Record<string, string | number | undefined>, weight: number, symbol?: string): Promise<T> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
    const url = `${this.baseUrl}${path}${query.size ? `?${query}` : ''}`;
    return pRetry(
      async () => {
        for (let wait = this.weight.delayFor(weight); wait > 0; wait = this.weight.delayFor(weight)) {
          this.stats.weightWaits += 1;
          this.opts.logger?.info({ path, waitMs: wait, used: this.weight.usedThisMinute }, 'waiting for Binance request weight');
          await sleep(wait);
        }
        this.weight.spend(weight);
        this.stats.requests += 1;
        let res: Response;
        try {
          res = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
        } catch (err) {
          throw new RetriableHttpError(`GET ${url}: ${(err as Error).message}`);
        }
        const used = res.headers.get('x-mbx-used-weight-1m');
        if (used !== null) this.weight.observeUsed(Number(used));
        if (res.ok) return (await res.json()) as T;
        const text = await res.text();
        let body: { code?: number; msg?: string } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          body = { msg: text.slice(0, 200) };
        }
        if (res.status === 429 || res.status === 418) {
          const retryAfterS = Number(res.headers.get('retry-after'));
          const retryAfterMs = Number.isFinite(retryAfterS) && retryAfterS > 0 ? retryAfterS * 1000 : 60_000;
          this.weight.blockFor(retryAfterMs);
          this.stats.rateLimited += 1;
          this.opts.logger?.warn({ path, status: res.status, retryAfterMs }, res.status === 418 ? 'Binance banned this IP for a while' : 'Binance rate limit hit');
          throw new RateLimitedError(res.status, retryAfterMs);
        }
        if (res.status >= 500) throw new RetriableHttpError(`GET ${url}: HTTP ${res.status}: ${body.msg ?? ''}`);
        if (body.code === -1121 && symbol) throw new AbortError(new InvalidSymbolError(symbol, res.status, body.code, body.msg ?? 'Invalid symbol.', path));
        throw new AbortError(new BinanceApiError(res.status, body.code, body.msg ?? text.slice(0, 200), path));
      },
      {
        retries: this.opts.retries ?? 8,
        minTimeout: this.opts.minBackoffMs ?? 250,
        maxTimeout: 30_000,
        factor: 2,
        randomize: true,
        // Waiting out Retry-After is not a backoff step: the budget's block already made us wait.
        shouldConsumeRetry: ({ error }) => !(error instanceof RateLimitedError),
        onFailedAttempt: async ({ error, attemptNumber }) => {
          this.stats.retries += 1;
          if (error instanceof RateLimitedError) await sleep(error.retryAfterMs);
          else this.opts.logger?.warn({ path, attempt: attemptNumber, err: error.message }, 'Binance request failed; retrying');
        },
      },
    );
  }

  async ping(): Promise<void> {
    await this.request('/api/v3/ping', {}, WEIGHTS.ping);
  }

  private toTrade(symbol: string, a: RawAggTrade, receivedAtUs: number): TradeEvent {
    return {
      v: 1, exchange: this.exchange, symbol, kind: 'aggTrade',
      tradeId: a.a, firstTradeId: a.f, lastTradeId: a.l, price: a.p, qty: a.q, quoteQty: multiplyDecimals(a.p, a.q),
      isBuyerMaker: a.m, tradeTimeUs: toMicros(a.T), receivedAtUs, source: 'rest',
    };
  }

  /** One page of aggregate trades (at most 1000): from an id, or within a time window of at most 1 h (ms). */
  async aggTrades(q: { symbol: string; fromId?: number; startTimeMs?: number; endTimeMs?: number; limit?: number }): Promise<TradeEvent[]> {
    const raw = await this.request<RawAggTrade[]>(
      '/api/v3/aggTrades',
      { symbol: q.symbol, fromId: q.fromId, startTime: q.startTimeMs, endTime: q.endTimeMs, limit: Math.min(q.limit ?? MAX_LIMIT, MAX_LIMIT) },
      WEIGHTS.aggTrades,
      q.symbol,
    );
    const receivedAtUs = Date.now() * 1000;
    return raw.map((a) => this.toTrade(q.symbol, a, receivedAtUs));
  }

  /** Every aggregate trade from `fromId` up to `toId` (inclusive, default: up to now), page by page. */
  async *aggTradesFromId(symbol: string, fromId: number, toId = Number.POSITIVE_INFINITY): AsyncGenerator<TradeEvent> {
    let next = fromId;
    while (next <= toId) {
      const page = await this.aggTrades({ symbol, fromId: next });
      for (const t of page) {
        if (t.tradeId > toId) return;
        yield t;
      }
      if (page.length < MAX_LIMIT) return;
      next = page[page.length - 1].tradeId + 1;
    }
  }

  /**
   * Every aggregate trade with startMs <= time <= endMs: the first page by time (Binance allows a
   * window of at most one hour), the rest by id, which cannot skip trades sharing a millisecond.
   */
  async *aggTradesBetween(symbol: string, startMs: number, endMs: number): AsyncGenerator<TradeEvent> {
    for (let windowStart = startMs; windowStart <= endMs; windowStart += ONE_HOUR_MS) {
      const windowEnd = Math.min(windowStart + ONE_HOUR_MS - 1, endMs);
      const first = await this.aggTrades({ symbol, startTimeMs: windowStart, endTimeMs: windowEnd });
      for (const t of first) yield t;
      // A short page has the whole window; a full one may have more: continue by id, which
      // runs on past this window, so the remaining windows are covered by it.
      if (first.length < MAX_LIMIT) continue;
      let page = first;
      while (page.length === MAX_LIMIT) {
        page = await this.aggTrades({ symbol, fromId: page[page.length - 1].tradeId + 1 });
        for (const t of page) {
          if (t.tradeTimeUs > endMs * 1000) return;
          yield t;
        }
      }
      return;
    }
  }

  /** One page of klines (at most 1000). Times in ms, as Binance takes them. */
  async klines(q: { symbol: string; interval: KlineInterval; startTimeMs?: number; endTimeMs?: number; limit?: number }): Promise<Kline[]> {
    const raw = await this.request<RawKline[]>(
      '/api/v3/klines',
      { symbol: q.symbol, interval: q.interval, startTime: q.startTimeMs, endTime: q.endTimeMs, limit: Math.min(q.limit ?? MAX_LIMIT, MAX_LIMIT) },
      WEIGHTS.klines,
      q.symbol,
    );
    return raw.map((k) => ({
      v: 1, exchange: this.exchange, symbol: q.symbol, interval: q.interval,
      openTimeUs: toMicros(k[0]), open: k[1], high: k[2], low: k[3], close: k[4], volume: k[5], closeTimeUs: toMicros(k[6]),
      quoteVolume: k[7], tradeCount: k[8], takerBuyVolume: k[9], takerBuyQuoteVolume: k[10],
    }));
  }

  /** Every kline opening in [startMs, endMs], page by page. */
  async *klinesBetween(symbol: string, interval: KlineInterval, startMs: number, endMs: number): AsyncGenerator<Kline> {
    let from = startMs;
    while (from <= endMs) {
      const page = await this.klines({ symbol, interval, startTimeMs: from, endTimeMs: endMs });
      for (const k of page) yield k;
      if (page.length < MAX_LIMIT) return;
      from = page[page.length - 1].openTimeUs / 1000 + 1;
    }
  }
}
