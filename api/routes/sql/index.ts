/**
 * `POST /v1/sql`: one read-only SELECT over the lake (the guard of `marketlake sql`), with row,
 * time, result-size and body-size limits. Needs a full API key.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { ApiApp } from '../../deps.ts';
import type { ApiDeps } from '../../deps.ts';
import { negotiateFormat, tabular, tabularContent } from '../../formats.ts';
import { requireAccess, requireJsonBody } from '../../middleware/auth.ts';
import { PayloadTooLargeProblem, problemResponses } from '../../problem.ts';
import { jsonRows } from '../../rows.ts';

const sqlRequestSchema = z.object({ sql: z.string().min(1, 'sql must not be empty').openapi({ example: "SELECT symbol, count(*) AS candles FROM silver_candles WHERE \"interval\" = '1m' GROUP BY 1" }) }).openapi('SqlRequest');

const sqlResponseSchema = z
  .object({
    columns: z.array(z.object({ name: z.string(), type: z.string() })),
    rows: z.array(z.record(z.string(), z.unknown())),
    row_count: z.number().int(),
    truncated: z.boolean().openapi({ description: 'true when the row limit cut the result' }),
    elapsed_ms: z.number(),
    lake_versions: z.record(z.string(), z.number().int()),
  })
  .openapi('SqlResult');

export function registerSqlRoutes(app: ApiApp, deps: ApiDeps): void {
  const { config } = deps;
  app.use('/v1/sql', requireAccess(config, 'write'));
  app.use('/v1/sql', requireJsonBody());
  app.use(
    '/v1/sql',
    bodyLimit({
      maxSize: config.API_SQL_MAX_BODY_BYTES,
      onError: () => {
        throw new PayloadTooLargeProblem(`the request body is larger than ${config.API_SQL_MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  const route = createRoute({
    method: 'post',
    path: '/v1/sql',
    tags: ['sql'],
    summary: 'One read-only SELECT over the lake',
    description: `DuckDB SQL over the views bronze_trades, bronze_tickers, bronze_sentiment, bronze_news, silver_candles and gold_<name>. Exactly one SELECT; nothing outside the lake can be read and nothing written. At most ${config.API_SQL_MAX_ROWS} rows (then truncated=true), ${config.API_SQL_TIMEOUT_MS} ms and ${config.API_SQL_MAX_RESULT_BYTES} bytes of result (else 422).`,
    security: [{ bearer: [] }, { apiKey: [] }],
    request: { body: { content: { 'application/json': { schema: sqlRequestSchema } } } },
    responses: {
      200: { description: 'the result', content: tabularContent(sqlResponseSchema) },
      ...problemResponses(400, 401, 403, 413, 415, 422, 429, 503),
    },
  });
  app.openapi(
    route,
    async (c) => {
      const { sql } = c.req.valid('json' as never) as z.infer<typeof sqlRequestSchema>;
      const format = negotiateFormat(c);
      const answer = await deps.sql.run(sql);
      const rows = jsonRows(answer);
      c.header('Server-Timing', `duckdb;dur=${answer.elapsedMs.toFixed(1)}`, { append: true });
      return tabular(c, format, answer.columns, rows, {
        columns: answer.columns.map((name, i) => ({ name, type: answer.columnTypes[i] })),
        rows,
        row_count: rows.length,
        truncated: answer.truncated,
        elapsed_ms: Math.round(answer.elapsedMs * 10) / 10,
        lake_versions: answer.lakeVersions,
      });
    },
  );
}
