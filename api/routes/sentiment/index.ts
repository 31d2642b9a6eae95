/**
 * `GET /v1/sentiment`: market sentiment (Fear & Greed) readings from bronze_sentiment, the latest
 * first, with gold_sentiment's hourly series when the gold build has made it; and
 * `GET /v1/news`: the latest headlines from bronze_news with their sentiment score.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp } from '../../deps.ts';
import type { ApiDeps } from '../../deps.ts';
import { negotiateFormat, tabular, tabularContent } from '../../formats.ts';
import { notModified } from '../../middleware/etag.ts';
import { formatParam, limitParam, sqlString, sqlTimestamp, timeParam } from '../../params.ts';
import { BadRequestProblem, problemResponses } from '../../problem.ts';
import { jsonRows } from '../../rows.ts';

const readingSchema = z
  .object({ source: z.string(), indicator: z.string(), value: z.number().int(), classification: z.string(), as_of: z.string(), received_at: z.string() })
  .openapi('SentimentReading');
const sentimentSchema = z
  .object({
    latest: readingSchema.nullable(),
    readings: z.array(readingSchema),
    hourly: z.array(z.record(z.string(), z.unknown())).openapi({ description: 'gold_sentiment rows (empty until the gold build made them)' }),
  })
  .openapi('Sentiment');
const newsSchema = z
  .object({
    title: z.string(),
    link: z.string().nullable(),
    feed: z.string(),
    published_at: z.string(),
    sentiment_score: z.number().nullable(),
    symbols: z.string(),
  })
  .openapi('NewsItem');

const range = {
  from: timeParam.optional(),
  to: timeParam.optional(),
};

/** The answers of a list route: the list, 304 by ETag, and its problems. */
const listResponses = (description: string, schema: z.ZodType) => ({
  200: { description, content: tabularContent(schema) },
  304: { description: 'not modified' },
  ...problemResponses(400, 401, 403, 429, 503),
});

function checkRange(q: { from?: number; to?: number }): void {
  if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw new BadRequestProblem('from', 'from must be before to');
}

export function registerSentimentRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sentiment',
      tags: ['analytics'],
      summary: 'Fear & Greed readings (latest first) and the hourly gold series',
      request: { query: z.object({ ...range, indicator: z.string().max(100).optional(), limit: limitParam(100, 1000), format: formatParam }) },
      responses: listResponses('sentiment', sentimentSchema),
    }),
    async (c) => {
      const q = c.req.valid('query');
      checkRange(q);
      const format = negotiateFormat(c);
      return deps.lake.use(async (session) => {
        if (notModified(c, session.versions(['bronze_sentiment', 'gold_sentiment']))) return c.body(null, 304) as never;
        const where = ['true'];
        if (q.indicator) where.push(`indicator = ${sqlString(q.indicator)}`);
        if (q.from !== undefined) where.push(`as_of >= ${sqlTimestamp(q.from)}`);
        if (q.to !== undefined) where.push(`as_of < ${sqlTimestamp(q.to)}`);
        // One reading per (source, indicator, as_of): producers may have recorded the same one twice.
        const result = await session.query(
          `SELECT source, indicator, value, classification, as_of, max(received_at) AS received_at FROM bronze_sentiment WHERE ${where.join(' AND ')} GROUP BY ALL ORDER BY as_of DESC LIMIT ${q.limit}`,
        );
        const readings = jsonRows(result) as z.infer<typeof readingSchema>[];
        let hourly: Record<string, unknown>[] = [];
        if (session.has('gold_sentiment')) hourly = jsonRows(await session.query(`SELECT * FROM gold_sentiment ORDER BY 1 DESC LIMIT ${q.limit}`));
        return tabular(c, format, result.columns, readings, { latest: readings[0] ?? null, readings, hourly });
      });
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/news',
      tags: ['analytics'],
      summary: 'Latest news headlines',
      request: { query: z.object({ ...range, symbol: z.string().regex(/^[A-Za-z0-9]{1,20}$/).optional(), limit: limitParam(20, 200), format: formatParam }) },
      responses: listResponses('headlines, newest first', z.object({ news: z.array(newsSchema) })),
    }),
    async (c) => {
      const q = c.req.valid('query');
      checkRange(q);
      const format = negotiateFormat(c);
      return deps.lake.use(async (session) => {
        if (notModified(c, session.versions(['bronze_news']))) return c.body(null, 304) as never;
        const where = ['true'];
        // News symbols are base assets ('BTC'): BTCUSDT matches BTC.
        if (q.symbol) where.push(`list_has_any(string_split(symbols, ','), [${sqlString(q.symbol.toUpperCase())}, ${sqlString(q.symbol.toUpperCase().replace(/(USDT|USDC|BUSD|USD|EUR|BTC)$/, ''))}])`);
        if (q.from !== undefined) where.push(`published_at >= ${sqlTimestamp(q.from)}`);
        if (q.to !== undefined) where.push(`published_at < ${sqlTimestamp(q.to)}`);
        const result = await session.query(
          `SELECT title, link, feed, published_at, sentiment_score, symbols FROM bronze_news WHERE ${where.join(' AND ')} QUALIFY row_number() OVER (PARTITION BY feed, guid ORDER BY received_at DESC) = 1 ORDER BY published_at DESC LIMIT ${q.limit}`,
        );
        const news = jsonRows(result);
        return tabular(c, format, result.columns, news, { news });
      });
    },
  );
}
