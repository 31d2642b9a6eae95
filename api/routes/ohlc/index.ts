/** `GET /v1/ohlc/{symbol}`: candles from silver (see ohlc-query.ts for the rules). */
import { createRoute } from '@hono/zod-openapi';
import { endTime, startTime } from 'hono/timing';
import { knownSymbol } from '../../catalog.ts';
import type { ApiApp } from '../../deps.ts';
import type { ApiDeps } from '../../deps.ts';
import { negotiateFormat, tabular, tabularContent } from '../../formats.ts';
import { notModified } from '../../middleware/etag.ts';
import { INTERVAL_US, SILVER_INTERVALS, isoOfMicros } from '../../params.ts';
import { BadRequestProblem, problemResponses } from '../../problem.ts';
import type { LakeSession } from '../../lake-reader.ts';
import { latestCandleEnd, readOhlcPage, type CandleRow, type OhlcRequest } from './ohlc-query.ts';
import { ohlcParamsSchema, ohlcQuerySchema, ohlcResponseSchema } from './schemas.ts';

export const CANDLE_COLUMNS = ['window_start', 'window_end', 'open', 'high', 'low', 'close', 'volume', 'quote_volume', 'vwap', 'trade_count', 'taker_buy_volume', 'taker_buy_quote_volume', 'is_final', 'provisional'];

export function encodeCursor(fromUs: number): string {
  return Buffer.from(JSON.stringify({ from: fromUs / 1000 })).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { from?: unknown };
    if (typeof v.from === 'number' && Number.isSafeInteger(v.from) && v.from >= 0) return v.from * 1000;
  } catch {
    // fall through
  }
  throw new BadRequestProblem('cursor', 'cursor is not one this API issued (use the `next` value of a previous page)');
}

const route = createRoute({
  method: 'get',
  path: '/v1/ohlc/{symbol}',
  tags: ['market data'],
  summary: 'OHLC candles of a symbol',
  description:
    'Candles over [from, to), at most `limit` (≤ 1000) windows per page, oldest first; `next` pages forward. Windows without trades are candles with volume 0, trade_count 0 and O = H = L = C = the previous close (as Binance). Windows the lake has no data for (an exchange outage, for which Binance returns nothing either, or a stream gap not yet backfilled) are NOT invented: they are listed in `gaps` as ranges [from, to) (at the candle interval; at 1 minute for 4h, 1d and other rolled-up candles) and counted in the `X-Data-Gaps` header (CSV and Arrow carry rows only). Times before the symbol\'s first candle and after its latest are not gaps. A rolled-up candle overlapping a gap is built from the minutes present. A 5m/15m/1h window silver has no candle of its own for, but 1m candles for (a series that starts inside the range, or has a hole), is rolled up from those 1m candles. `GET /v1/coverage` counts missing minutes per day. 4h and 1d windows align to 00:00 UTC and roll up from the 1m candles. Decimals are exact strings. The forming candle only with include_provisional=true.',
  request: { params: ohlcParamsSchema, query: ohlcQuerySchema },
  responses: {
    200: { description: 'candles', headers: { 'X-Data-Gaps': { description: 'number of ranges in `gaps` (missing data inside the answered range)', schema: { type: 'integer' } } }, content: tabularContent(ohlcResponseSchema) },
    304: { description: 'not modified (ETag from the lake table versions)' },
    ...problemResponses(400, 401, 403, 404, 429, 503),
  },
});

export function registerOhlcRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(route, async (c) => {
    const { symbol } = c.req.valid('param');
    const q = c.req.valid('query');
    const format = negotiateFormat(c);
    const fromUs = q.cursor !== undefined ? decodeCursor(q.cursor) : q.from;
    if (fromUs !== undefined && q.to !== undefined && fromUs >= q.to) throw new BadRequestProblem('from', 'from must be before to');
    const exchange = q.exchange ?? deps.config.API_DEFAULT_EXCHANGE;
    const info = await knownSymbol(deps.lake, symbol);
    const includeProvisional = q.include_provisional;
    const live = includeProvisional && SILVER_INTERVALS.includes(q.interval) ? deps.feed?.latestCandle(exchange, symbol, q.interval) : undefined;
    return deps.lake.use(async (session) => {
      const versions = `${session.versions(['silver_candles'])}${live ? `,live=${live.windowStartUs}/${live.emittedAtUs}` : ''}`;
      if (notModified(c, versions)) return c.body(null, 304) as never;
      startTime(c, 'lake', 'lake query');
      const req = { exchange, symbol, interval: q.interval, fromUs, toUs: q.to, limit: q.limit, includeProvisional };
      const latestEnd = info.last_date ? await latestEndFor(session, req, info.last_date) : undefined;
      // Nothing to add to silver's candles (no live forming candle) and JSON asked for: DuckDB writes the candles' JSON.
      const page = await readOhlcPage(session, req, { firstDate: info.first_date, latestEndUs: latestEnd }, format === 'json' && !live);
      endTime(c, 'lake');
      const rows: CandleRow[] = page.candles;
      // The forming candle from the live feed, when newer than what silver has.
      if (live && !live.isFinal && live.windowStartUs >= (fromUs ?? 0) && (q.to === undefined || live.windowStartUs < q.to)) {
        const last = rows.at(-1);
        if (!last || live.windowStartUs > last.window_start || (live.windowStartUs === last.window_start && !last.is_final)) {
          if (last && live.windowStartUs === last.window_start) rows.pop();
          if (rows.length < q.limit) rows.push(candleOfEvent(live));
        }
      }
      const candles = rows.map(apiCandle);
      const next = page.nextFromUs !== undefined ? encodeCursor(page.nextFromUs) : null;
      if (next) c.header('Link', `<${nextUrl(c.req.url, next)}>; rel="next"`);
      // CSV and Arrow carry rows only: the number of missing ranges travels in a header.
      c.header('X-Data-Gaps', String(page.gaps.length));
      const gaps = page.gaps.map((g) => ({ from: isoOfMicros(g.fromUs), to: isoOfMicros(g.toUs) }));
      if (page.candlesJson !== undefined) {
        // The same document as below, its candles array spliced in as DuckDB wrote it.
        const head = JSON.stringify({ symbol, exchange, interval: q.interval, from: page.fromUs < page.toUs ? isoOfMicros(page.fromUs) : null, to: page.fromUs < page.toUs ? isoOfMicros(page.toUs) : null });
        return c.body(`${head.slice(0, -1)},"candles":${page.candlesJson},"gaps":${JSON.stringify(gaps)},"next":${JSON.stringify(next)}}`, 200, { 'content-type': 'application/json' }) as never;
      }
      return tabular(c, format, CANDLE_COLUMNS, candles, {
        symbol,
        exchange,
        interval: q.interval,
        from: page.fromUs < page.toUs ? isoOfMicros(page.fromUs) : null,
        to: page.fromUs < page.toUs ? isoOfMicros(page.toUs) : null,
        candles,
        gaps,
        next,
      });
    });
  });
}

/**
 * The end of the symbol's latest candle, or for a range that ends a day before its last date a
 * bound that is enough (the range ends before the latest candle, so the page needs no more), which
 * saves the query for the common historical request.
 */
async function latestEndFor(session: LakeSession, req: OhlcRequest, lastDate: string): Promise<number | undefined> {
  const dayBeforeLast = Date.parse(`${lastDate}T00:00:00Z`) * 1000 - 86_400e6;
  if (req.toUs !== undefined && req.toUs <= dayBeforeLast) return dayBeforeLast;
  return latestCandleEnd(session, req, lastDate);
}

function nextUrl(url: string, cursor: string): string {
  const u = new URL(url);
  u.searchParams.delete('from');
  u.searchParams.set('cursor', cursor);
  return `${u.pathname}${u.search}`;
}

/** A candle as answered: ISO times, `provisional` for a candle that is not final. Built field by field, once (the hot path of every page). */
function apiCandle(r: CandleRow) {
  return {
    window_start: isoOfMicros(r.window_start),
    window_end: isoOfMicros(r.window_end),
    open: r.open,
    high: r.high,
    low: r.low,
    close: r.close,
    volume: r.volume,
    quote_volume: r.quote_volume,
    vwap: r.vwap,
    trade_count: r.trade_count,
    taker_buy_volume: r.taker_buy_volume,
    taker_buy_quote_volume: r.taker_buy_quote_volume,
    is_final: r.is_final,
    provisional: !r.is_final,
  };
}

function candleOfEvent(e: import('../../../common/events/index.ts').CandleEvent): CandleRow {
  return {
    window_start: e.windowStartUs,
    window_end: e.windowEndUs,
    open: e.open,
    high: e.high,
    low: e.low,
    close: e.close,
    volume: e.volume,
    quote_volume: e.quoteVolume,
    vwap: e.vwap,
    trade_count: e.tradeCount,
    taker_buy_volume: e.takerBuyVolume,
    taker_buy_quote_volume: e.takerBuyQuoteVolume,
    is_final: e.isFinal,
  };
}

export { INTERVAL_US };
