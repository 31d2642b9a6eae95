/**
 * `GET /v1/prices/latest` and `GET /v1/prices/{symbol}`: the latest trade price from the live
 * feed when it has one, else the close of the symbol's latest candle in silver.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { knownSymbol, symbolCatalog } from '../../catalog.ts';
import type { ApiApp } from '../../deps.ts';
import type { ApiDeps } from '../../deps.ts';
import { negotiateFormat, tabular, tabularContent } from '../../formats.ts';
import { exchangeParam, formatParam, isoOfMicros, sqlString, symbolParam } from '../../params.ts';
import { problemResponses } from '../../problem.ts';
import type { LakeSession } from '../../lake-reader.ts';

export const priceSchema = z
  .object({
    symbol: z.string(),
    exchange: z.string(),
    price: z.string().openapi({ description: 'exact decimal string', example: '42283.58000000' }),
    as_of: z.string().openapi({ description: 'trade time (live) or the end of the candle (lake), ISO 8601' }),
    source: z.enum(['live', 'lake']),
  })
  .openapi('Price');

const COLUMNS = ['symbol', 'exchange', 'price', 'as_of', 'source'];

async function lakePrice(session: LakeSession, exchange: string, symbol: string, lastDate: string): Promise<z.infer<typeof priceSchema> | undefined> {
  const { rows } = await session.query(
    `SELECT close, epoch_us(window_end) AS e FROM silver_candles_all_revisions WHERE exchange = ${sqlString(exchange)} AND symbol = ${sqlString(symbol)} AND "interval" = '1m' AND date = DATE '${lastDate}' ORDER BY window_start DESC, revision DESC LIMIT 1`,
  );
  if (rows.length === 0) return undefined;
  return { symbol, exchange, price: String(rows[0].close), as_of: isoOfMicros(Number(rows[0].e)), source: 'lake' };
}

export function registerPriceRoutes(app: ApiApp, deps: ApiDeps): void {
  const priceOf = async (session: LakeSession, exchange: string, symbol: string, lastDate: string | null) => {
    const t = deps.feed?.latestTrade(exchange, symbol);
    if (t) return { symbol, exchange, price: t.event.price, as_of: isoOfMicros(t.event.tradeTimeUs), source: 'live' as const };
    return lastDate ? lakePrice(session, exchange, symbol, lastDate) : undefined;
  };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/prices/latest',
      tags: ['market data'],
      summary: 'Latest price of every symbol',
      request: { query: z.object({ exchange: exchangeParam, format: formatParam }) },
      responses: { 200: { description: 'prices', content: tabularContent(z.object({ prices: z.array(priceSchema) })) }, ...problemResponses(400, 401, 403, 429, 503) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const format = negotiateFormat(c);
      const exchange = q.exchange ?? deps.config.API_DEFAULT_EXCHANGE;
      const catalog = await symbolCatalog(deps.lake);
      const prices = await deps.lake.use(async (session) => {
        const out: z.infer<typeof priceSchema>[] = [];
        for (const s of catalog.values()) {
          const p = await priceOf(session, exchange, s.symbol, s.last_date);
          if (p) out.push(p);
        }
        return out;
      });
      return tabular(c, format, COLUMNS, prices, { prices });
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/prices/{symbol}',
      tags: ['market data'],
      summary: 'Latest price of one symbol',
      request: { params: z.object({ symbol: symbolParam }), query: z.object({ exchange: exchangeParam, format: formatParam }) },
      responses: { 200: { description: 'price', content: tabularContent(priceSchema) }, ...problemResponses(400, 401, 403, 404, 429, 503) },
    }),
    async (c) => {
      const { symbol } = c.req.valid('param');
      const q = c.req.valid('query');
      const format = negotiateFormat(c);
      const exchange = q.exchange ?? deps.config.API_DEFAULT_EXCHANGE;
      const info = await knownSymbol(deps.lake, symbol);
      const price = await deps.lake.use((session) => priceOf(session, exchange, symbol, info.last_date));
      if (!price) {
        const { NotFoundProblem } = await import('../../problem.ts');
        throw new NotFoundProblem(`no price for ${symbol} on ${exchange} yet`);
      }
      return tabular(c, format, COLUMNS, [price], price);
    },
  );
}
