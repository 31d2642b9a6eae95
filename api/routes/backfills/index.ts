/**
 * `POST /v1/backfills` starts the `backfill` workflow (input: workflows/backfill/input.ts; ARCHITECTURE.md, "Who owns what") and
 * answers its id, a status URL and the Temporal UI link; `GET /v1/backfills/{id}` answers its
 * status and its `progress` query. Both need a full API key; 503 when Temporal is down.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp } from '../../deps.ts';
import type { ApiDeps } from '../../deps.ts';
import { requireAccess, requireJsonBody } from '../../middleware/auth.ts';
import { BadRequestProblem, UnavailableProblem, problemResponses } from '../../problem.ts';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
export const backfillInputSchema = z
  .object({
    symbols: z.array(z.string().regex(/^[A-Z0-9]{2,30}$/, 'upper-case symbols such as BTCUSDT')).min(1).max(100),
    from: day,
    to: day.openapi({ description: 'inclusive' }),
    source: z.enum(['klines', 'trades', 'aggTrades', 'rest', 'auto']).default('auto'),
    mode: z.enum(['missing', 'all']).default('missing'),
    dryRun: z.boolean().default(false),
    maxConcurrency: z.number().int().min(1).max(64).default(4),
  })
  .strict()
  .openapi('BackfillInput');

const startedSchema = z
  .object({ id: z.string(), run_id: z.string(), status_url: z.string(), ui_url: z.string().nullable(), input: backfillInputSchema })
  .openapi('BackfillStarted');
const statusSchema = z
  .object({
    id: z.string(),
    run_id: z.string(),
    status: z.string(),
    started_at: z.string().nullable(),
    closed_at: z.string().nullable(),
    progress: z.unknown().openapi({ description: "the workflow's `progress` query (null when no worker answered)" }),
    ui_url: z.string().nullable(),
  })
  .openapi('BackfillStatus');

export function registerBackfillRoutes(app: ApiApp, deps: ApiDeps): void {
  const { config } = deps;
  app.use('/v1/backfills', requireAccess(config, 'write'));
  app.use('/v1/backfills', requireJsonBody());
  app.use('/v1/backfills/*', requireAccess(config, 'write'));
  const uiUrl = (id: string) => (config.TEMPORAL_UI_URL ? `${config.TEMPORAL_UI_URL.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(id)}` : null);
  const temporal = () => {
    if (!deps.backfills) throw new UnavailableProblem('temporal', 'no Temporal client is configured');
    return deps.backfills;
  };
  const startRoute = createRoute({
    method: 'post',
    path: '/v1/backfills',
    tags: ['backfills'],
    summary: 'Start a backfill workflow',
    security: [{ bearer: [] }, { apiKey: [] }],
    request: { body: { content: { 'application/json': { schema: backfillInputSchema } } } },
    responses: {
      202: { description: 'started', content: { 'application/json': { schema: startedSchema } } },
      ...problemResponses(400, 401, 403, 413, 415, 429, 503),
    },
  });
  app.openapi(startRoute, async (c) => {
    const input = c.req.valid('json' as never) as z.infer<typeof backfillInputSchema>;
    if (input.from > input.to) throw new BadRequestProblem('from', 'from must not be after to');
    const { id, runId } = await temporal().start(input);
    c.header('Location', `/v1/backfills/${id}`);
    return c.json({ id, run_id: runId, status_url: `/v1/backfills/${id}`, ui_url: uiUrl(id), input }, 202);
  });
  const getRoute = createRoute({
    method: 'get',
    path: '/v1/backfills/{id}',
    tags: ['backfills'],
    summary: 'Status and progress of a backfill',
    security: [{ bearer: [] }, { apiKey: [] }],
    request: { params: z.object({ id: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'a backfill id as returned by POST /v1/backfills').openapi({ param: { name: 'id', in: 'path' } }) }) },
    responses: {
      200: { description: 'status', content: { 'application/json': { schema: statusSchema } } },
      ...problemResponses(400, 401, 403, 404, 429, 503),
    },
  });
  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param' as never) as { id: string };
    const s = await temporal().get(id);
    return c.json({ ...s, ui_url: uiUrl(id) }, 200);
  });
}
