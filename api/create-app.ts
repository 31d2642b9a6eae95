/**
 * Builds the API from its dependencies (deps.ts): request ids, one JSON log line per request,
 * Prometheus metrics, Server-Timing, CORS, rate limits and API keys, the routes (each resource in
 * routes/<resource>/, declared with @hono/zod-openapi so that validation and /openapi.json come
 * from the same schemas), one onError that answers RFC 9457 problem details, and notFound.
 * No server here: tests call `app.request()`; main.ts serves it.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { timing } from 'hono/timing';
import { httpMetrics } from '../common/metrics-catalog.ts';
import type { ApiApp, ApiDeps, ApiEnv } from './deps.ts';
import { requireAccess } from './middleware/auth.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { BadRequestProblem, NotFoundProblem, PROBLEM_CONTENT_TYPE, problemOf } from './problem.ts';
import { registerAnalyticsRoutes } from './routes/analytics/index.ts';
import { registerBackfillRoutes } from './routes/backfills/index.ts';
import { registerDocsRoutes } from './routes/docs/index.ts';
import { registerHealthRoutes } from './routes/health/index.ts';
import { registerIndicatorRoutes } from './routes/indicators/index.ts';
import { registerOhlcRoutes } from './routes/ohlc/index.ts';
import { registerPageRoutes } from './routes/page/index.ts';
import { registerPriceRoutes } from './routes/prices/index.ts';
import { registerSentimentRoutes } from './routes/sentiment/index.ts';
import { registerSqlRoutes } from './routes/sql/index.ts';
import { registerStreamRoutes } from './routes/stream/index.ts';
import { registerSymbolRoutes } from './routes/symbols/index.ts';

export type { ApiApp };

/** zod validation failures → 400 naming the first bad parameter (all of them in `errors`). */
const validationHook: Hook<unknown, ApiEnv, string, unknown> = (result) => {
  if (result.success) return;
  const issues = result.error.issues;
  const where = result.target === 'json' ? 'body' : result.target;
  const errors = issues.map((i) => ({ parameter: i.path.length > 0 ? i.path.join('.') : where, detail: `${where} ${i.path.join('.') || ''}: ${i.message}`.replace(' : ', ': ') }));
  throw new BadRequestProblem(errors[0].parameter, errors.map((e) => e.detail).join('; '), errors);
};

export function createApp(deps: ApiDeps): ApiApp {
  const { config, logger, registry } = deps;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  // Named in common/metrics-catalog.ts: the boards and alert rules query these names.
  const { requests, seconds: duration } = httpMetrics(registry);

  app.use('*', requestId({ headerName: 'X-Request-Id' }));
  app.use('*', async (c, next) => {
    const t0 = performance.now();
    await next();
    const seconds = (performance.now() - t0) / 1000;
    const route = c.req.routePath ?? 'unmatched';
    requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    duration.observe({ method: c.req.method, route }, seconds);
    const line = { request_id: c.get('requestId'), method: c.req.method, path: c.req.path, route, status: c.res.status, ms: Math.round(seconds * 10_000) / 10 };
    if (c.res.status >= 500) logger.error(line, 'request');
    else logger.info(line, 'request');
  });
  app.use('*', timing({ totalDescription: 'total' }));
  if (config.API_CORS_ORIGINS.trim() !== '') {
    const origins = config.API_CORS_ORIGINS.split(',').map((o) => o.trim());
    app.use(
      '*',
      cors({
        origin: origins.includes('*') ? '*' : origins,
        allowHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'Last-Event-ID', 'If-None-Match', 'Accept'],
        exposeHeaders: ['ETag', 'Server-Timing', 'X-Request-Id', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After', 'X-Data-Gaps', 'Link'],
        maxAge: 600,
      }),
    );
  }
  app.use('/v1/*', rateLimit(config));
  app.use('/v1/*', requireAccess(config, 'read'));

  registerHealthRoutes(app, deps);
  registerSymbolRoutes(app, deps);
  registerPriceRoutes(app, deps);
  registerOhlcRoutes(app, deps);
  registerIndicatorRoutes(app, deps);
  registerAnalyticsRoutes(app, deps);
  registerSentimentRoutes(app, deps);
  registerStreamRoutes(app, deps);
  registerSqlRoutes(app, deps);
  registerBackfillRoutes(app, deps);
  registerDocsRoutes(app);
  registerPageRoutes(app);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'marketlake API',
      version: '1.0.0',
      description:
        'Crypto market data from the marketlake lakehouse: candles, prices, analytics, live streams and read-only SQL. Decimals are exact strings; times are ISO 8601 UTC; errors are RFC 9457 problem details.\n\n' +
        'Rate limit (API_RATE_LIMIT_PER_MINUTE, 0: off): a token bucket per known API key, or per client address for requests without one (unknown keys count against the address), refilled at the limit per minute with bursts up to it. Every /v1 answer carries `RateLimit-Policy` (`<limit>;w=60`), `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the bucket is full); past the limit, 429 with `Retry-After` (seconds) and `retry_after` in the problem. The buckets are in the API process\'s memory (bounded by API_RATE_LIMIT_MAX_KEYS, idle ones dropped): several API processes behind one proxy each count on their own.',
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    servers: [{ url: '/' }],
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });

  const problem = (err: unknown, c: Context<ApiEnv>) => {
    const { status, body, headers } = problemOf(err, c.req.path, c.get('requestId'));
    if (status >= 500) logger.error({ err, request_id: c.get('requestId'), path: c.req.path }, 'unhandled error');
    return c.body(JSON.stringify(body), status as 500, { ...headers, 'content-type': PROBLEM_CONTENT_TYPE });
  };
  app.notFound((c) => problem(new NotFoundProblem(`no route for ${c.req.method} ${c.req.path}; see /openapi.json`), c));
  app.onError((err, c) => problem(err, c));
  return app;
}
