/** `GET /v1/symbols`: the symbols the lake holds, with the dates their candles cover. */
import { createRoute, z } from '@hono/zod-openapi';
import { symbolCatalog } from '../../catalog.ts';
import type { ApiApp } from '../../deps.ts';
import type { ApiDeps } from '../../deps.ts';
import { negotiateFormat, tabular, tabularContent } from '../../formats.ts';
import { notModified } from '../../middleware/etag.ts';
import { formatParam } from '../../params.ts';
import { problemResponses } from '../../problem.ts';

export const symbolSchema = z
  .object({
    symbol: z.string(),
    first_date: z.string().nullable().openapi({ description: 'first UTC date with candles' }),
    last_date: z.string().nullable(),
    candle_days: z.number().int(),
    has_trades: z.boolean(),
    live: z.boolean().openapi({ description: 'a trade arrived on the live feed in the last minute' }),
  })
  .openapi('Symbol');

const COLUMNS = ['symbol', 'first_date', 'last_date', 'candle_days', 'has_trades', 'live'];

export function registerSymbolRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/symbols',
      tags: ['market data'],
      summary: 'Symbols in the lake',
      request: { query: z.object({ format: formatParam }) },
      responses: {
        200: { description: 'the symbols', content: tabularContent(z.object({ symbols: z.array(symbolSchema) })) },
        304: { description: 'not modified' },
        ...problemResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const format = negotiateFormat(c);
      const catalog = await symbolCatalog(deps.lake);
      const now = Date.now();
      const symbols = [...catalog.values()].map((s) => {
        const t = deps.feed?.allLatestTrades().find((x) => x.event.symbol === s.symbol);
        return { ...s, live: t !== undefined && now - t.receivedAt < 60_000 };
      });
      const versions = `silver/candles@${await deps.lake.version('silver/candles')},bronze/trades@${await deps.lake.version('bronze/trades')},live=${symbols.filter((s) => s.live).map((s) => s.symbol).join('+')}`;
      if (notModified(c, versions)) return c.body(null, 304) as never;
      return tabular(c, format, COLUMNS, symbols, { symbols });
    },
  );
}
