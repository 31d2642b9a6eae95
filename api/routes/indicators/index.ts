/**
 * `GET /v1/indicators/{symbol}`: technical indicators per candle. From gold_indicators when the
 * gold build has rows for the symbol and interval; otherwise close, volume, vwap and SMA 20/50
 * computed here from silver's candles (so the page's moving averages never depend on the browser).
 * Either way `gaps` lists the windows missing between the rows returned.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { knownSymbol } from '../../catalog.ts';
import type { ApiApp } from '../../deps.ts';
import type { ApiDeps } from '../../deps.ts';
import { negotiateFormat, tabular, tabularContent } from '../../formats.ts';
import { notModified } from '../../middleware/etag.ts';
import { INTERVAL_US, exchangeParam, formatParam, intervalParam, isoOfMicros, limitParam, sqlString, sqlTimestamp, symbolParam, timeParam } from '../../params.ts';
import { BadRequestProblem, problemResponses } from '../../problem.ts';
import { jsonRows } from '../../rows.ts';
import { gapsBetween, latestCandleEnd, readOhlcPage } from '../ohlc/ohlc-query.ts';

const num = z.number().nullable();
export const indicatorRowSchema = z
  .object({
    window_start: z.string(),
    close: z.string().nullable(),
    volume: z.string().nullable(),
    vwap: z.string().nullable(),
    sma_20: num,
    sma_50: num,
  })
  .catchall(z.unknown())
  .openapi('IndicatorRow');

const responseSchema = z
  .object({
    symbol: z.string(),
    interval: z.string(),
    source: z.enum(['gold', 'silver']).openapi({ description: 'gold_indicators, or computed from silver candles when gold has none' }),
    indicators: z.array(indicatorRowSchema),
    gaps: z
      .array(z.object({ from: z.string(), to: z.string() }))
      .openapi({ description: 'windows missing between the first and the last row returned, as ranges [from, to) at the interval: the lake has no candle there, and the indicators skip them (a moving average spans the windows present)' }),
  })
  .openapi('Indicators');

/** The windows missing between the first and the last of `starts` (sorted epoch µs), as ranges. */
function interiorGaps(starts: readonly number[], step: number): { from: string; to: string }[] {
  if (starts.length < 2) return [];
  return gapsBetween(starts, starts[0], starts[starts.length - 1] + step, step).map((g) => ({ from: isoOfMicros(g.fromUs), to: isoOfMicros(g.toUs) }));
}

/** Simple moving averages of `closes` (TA-Lib's SMA: null until `n` values). */
export function sma(closes: readonly number[], n: number): (number | null)[] {
  const out: (number | null)[] = [];
  let sum = 0;
  for (let i = 0; i < closes.length; i++) {
    sum += closes[i];
    if (i >= n) sum -= closes[i - n];
    out.push(i >= n - 1 ? sum / n : null);
  }
  return out;
}

export function registerIndicatorRoutes(app: ApiApp, deps: ApiDeps): void {
  const route = createRoute({
    method: 'get',
    path: '/v1/indicators/{symbol}',
    tags: ['analytics'],
    summary: 'Indicators of a symbol (gold, else SMA computed from silver)',
    request: {
      params: z.object({ symbol: symbolParam }),
      query: z.object({
        interval: intervalParam.default('1m'),
        from: timeParam.optional(),
        to: timeParam.optional(),
        limit: limitParam(500, 1000),
        exchange: exchangeParam,
        format: formatParam,
      }),
    },
    responses: {
      200: { description: 'indicators', headers: { 'X-Data-Gaps': { description: 'number of ranges in `gaps`', schema: { type: 'integer' } } }, content: tabularContent(responseSchema) },
      304: { description: 'not modified' },
      ...problemResponses(400, 401, 403, 404, 429, 503),
    },
  });
  app.openapi(route, async (c) => {
    const { symbol } = c.req.valid('param');
    const q = c.req.valid('query');
    const format = negotiateFormat(c);
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw new BadRequestProblem('from', 'from must be before to');
    const exchange = q.exchange ?? deps.config.API_DEFAULT_EXCHANGE;
    const info = await knownSymbol(deps.lake, symbol);
    return deps.lake.use(async (session) => {
      if (notModified(c, session.versions(['gold_indicators', 'silver_candles']))) return c.body(null, 304) as never;
      if (session.has('gold_indicators')) {
        const where = [`symbol = ${sqlString(symbol)}`, `"interval" = ${sqlString(q.interval)}`];
        const cols = (await session.query('SELECT * FROM gold_indicators LIMIT 0')).columns;
        if (cols.includes('exchange')) where.push(`exchange = ${sqlString(exchange)}`);
        if (q.from !== undefined) where.push(`window_start >= ${sqlTimestamp(q.from)}`);
        if (q.to !== undefined) where.push(`window_start < ${sqlTimestamp(q.to)}`);
        const latest = q.from === undefined;
        // history_closes is the hourly build's state (200 closes, base64), not an indicator.
        const projection = cols.includes('history_closes') ? '* EXCLUDE (history_closes)' : '*';
        const sql = `SELECT ${projection} FROM gold_indicators WHERE ${where.join(' AND ')} ORDER BY window_start ${latest ? 'DESC' : 'ASC'} LIMIT ${q.limit}`;
        const result = await session.query(sql);
        if (result.rows.length > 0) {
          const rows = jsonRows(result);
          if (latest) rows.reverse();
          const gaps = interiorGaps(rows.map((r) => Date.parse(String(r.window_start)) * 1000), INTERVAL_US[q.interval]);
          c.header('X-Data-Gaps', String(gaps.length));
          return tabular(c, format, result.columns, rows, { symbol, interval: q.interval, source: 'gold', indicators: rows, gaps });
        }
      }
      // From silver: the requested candles plus 49 earlier ones to warm SMA 50 up.
      const req = { exchange, symbol, interval: q.interval, fromUs: q.from, toUs: q.to, limit: q.limit, includeProvisional: false };
      const latestEnd = info.last_date ? await latestCandleEnd(session, req, info.last_date) : undefined;
      // Gaps are not reported here (firstDate null): the indicator series just skips them.
      const series = { firstDate: null, latestEndUs: latestEnd };
      const page = await readOhlcPage(session, req, series);
      const warmFrom = page.fromUs - 49 * INTERVAL_US[q.interval];
      const warm = page.fromUs < page.toUs ? await readOhlcPage(session, { ...req, fromUs: warmFrom, toUs: page.fromUs, limit: 49 }, series) : { candles: [] };
      const all = [...warm.candles, ...page.candles];
      const closes = all.map((r) => Number(r.close));
      const s20 = sma(closes, 20);
      const s50 = sma(closes, 50);
      const offset = warm.candles.length;
      const rows = page.candles.map((r, i) => ({
        window_start: isoOfMicros(r.window_start),
        close: r.close,
        volume: r.volume,
        vwap: r.vwap,
        sma_20: s20[offset + i],
        sma_50: s50[offset + i],
      }));
      const gaps = interiorGaps(page.candles.map((r) => r.window_start), INTERVAL_US[q.interval]);
      c.header('X-Data-Gaps', String(gaps.length));
      return tabular(c, format, ['window_start', 'close', 'volume', 'vwap', 'sma_20', 'sma_50'], rows, { symbol, interval: q.interval, source: 'silver', indicators: rows, gaps });
    });
  });
}
