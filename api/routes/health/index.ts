/** `/health` (liveness and readiness of the lake, Kafka and Temporal), `/health/live`, `/metrics`. */
import { createRoute, z } from '@hono/zod-openapi';
import { healthResponse, type HealthReport, type HealthStatus } from '../../../common/observability-server.ts';
import type { ApiApp } from '../../deps.ts';
import type { ApiDeps } from '../../deps.ts';

const checkSchema = z.object({ status: z.enum(['ok', 'degraded', 'down']), detail: z.string().optional() });
const healthSchema = z
  .object({
    service: z.string(),
    status: z.enum(['ok', 'degraded', 'down']),
    checks: z.record(z.string(), checkSchema).optional(),
    time: z.string(),
  })
  .openapi('Health');

/**
 * The lake is what the API cannot work without (down → 503). Kafka (live stream, live prices)
 * and Temporal (backfills) down leave the rest working: degraded, still 200.
 */
export async function apiHealth(deps: ApiDeps): Promise<HealthReport> {
  const lake = deps.lake.health();
  const kafka = deps.feed ? deps.feed.health() : { status: 'degraded' as const, detail: 'live stream disabled (API_STREAM_ENABLED=false)' };
  const temporal = deps.backfills ? await deps.backfills.health() : { status: 'degraded' as const, detail: 'no Temporal client' };
  const checks: Record<string, { status: HealthStatus; detail?: string }> = { lake, kafka, temporal };
  const status: HealthStatus = lake.status === 'down' ? 'down' : kafka.status !== 'ok' || temporal.status !== 'ok' ? 'degraded' : 'ok';
  return { status, checks };
}

export function registerHealthRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      tags: ['operations'],
      summary: 'Liveness and readiness: lake, Kafka, Temporal',
      description: '200 when the lake is readable (status `degraded` when Kafka or Temporal is down); 503 when the lake is not.',
      responses: {
        200: { description: 'serving', content: { 'application/json': { schema: healthSchema } } },
        503: { description: 'the lake is down', content: { 'application/json': { schema: healthSchema } } },
      },
    }),
    async (c) => {
      const { code, body } = await healthResponse('api', () => apiHealth(deps));
      return c.json(body as z.infer<typeof healthSchema>, code as 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/health/live',
      tags: ['operations'],
      summary: 'Liveness only: the process answers',
      responses: { 200: { description: 'alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics',
      responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
    }),
    async (c) => c.body(await deps.registry.metrics(), 200, { 'content-type': deps.registry.contentType }) as never,
  );
}
