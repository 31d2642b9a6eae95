/**
 * `GET /v1/stream?symbols=BTCUSDT,ETHUSDT&channels=trades,candles,alerts`: Server-Sent Events from
 * the API's one shared Kafka consumer (stream/live-feed.ts). Event ids are stream positions: a
 * client reconnecting with `Last-Event-ID` (or `?last_event_id=`) gets everything after it that
 * is still in Kafka, in order, then the live events.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { ServerResponse } from 'node:http';
import { Gauge, Counter } from 'prom-client';
import type { ApiApp } from '../../deps.ts';
import type { ApiDeps } from '../../deps.ts';
import { BadRequestProblem, UnavailableProblem, problemResponses } from '../../problem.ts';
import { sseNodeBody, sseStream, type SseClientOptions } from '../../stream/sse.ts';
import { CHANNELS, PositionFormatError, parsePosition, type Channel } from '../../stream/position.ts';

const csv = (name: string, example: string) =>
  z
    .string()
    .max(2000)
    .optional()
    .openapi({ description: `comma-separated ${name}`, example });

export function registerStreamRoutes(app: ApiApp, deps: ApiDeps): void {
  const clients = new Gauge({ name: 'marketlake_api_sse_clients', help: 'connected SSE clients', registers: [deps.registry] });
  const sent = new Counter({ name: 'marketlake_api_sse_events_sent_total', help: 'events written to SSE clients', registers: [deps.registry] });
  const latency = new Gauge({ name: 'marketlake_api_sse_last_delivery_lag_seconds', help: 'time from the feed receiving an event to writing it to a client (last sample)', registers: [deps.registry] });
  const route = createRoute({
    method: 'get',
    path: '/v1/stream',
    tags: ['live'],
    summary: 'Live trades, candles and alerts (Server-Sent Events)',
    description:
      'Events `trade`, `candle`, `alert`, each `data` the JSON value of market.trades.v1 / market.candles.v1 / market.alerts.v1. The `id` is the stream position: reconnect with Last-Event-ID to resume without loss.',
    request: {
      query: z.object({
        symbols: csv('symbols (default: all)', 'BTCUSDT,ETHUSDT'),
        channels: csv(`channels: ${CHANNELS.join(', ')} (default: all)`, 'trades,candles'),
        last_event_id: z.string().max(4096).optional().openapi({ description: 'same as the Last-Event-ID header (for clients that cannot set headers)' }),
      }),
      headers: z.object({ 'last-event-id': z.string().max(4096).optional() }),
    },
    responses: {
      200: { description: 'an event stream', content: { 'text/event-stream': { schema: z.string() } } },
      ...problemResponses(400, 401, 403, 429, 503),
    },
  });
  app.openapi(route, (c) => {
    const q = c.req.valid('query');
    const feed = deps.feed;
    if (!feed || !feed.available) throw new UnavailableProblem('kafka', feed ? (feed.health().detail ?? 'Kafka unavailable') : 'the live stream is disabled on this server (API_STREAM_ENABLED=false)');
    const channels = new Set<Channel>();
    for (const ch of (q.channels ?? CHANNELS.join(',')).split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!(CHANNELS as readonly string[]).includes(ch)) throw new BadRequestProblem('channels', `unknown channel ${JSON.stringify(ch)}; use ${CHANNELS.join(', ')}`);
      channels.add(ch as Channel);
    }
    if (channels.size === 0) throw new BadRequestProblem('channels', 'name at least one channel');
    const symbols = new Set((q.symbols ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean));
    for (const s of symbols) if (!/^[A-Z0-9]{2,30}$/.test(s)) throw new BadRequestProblem('symbols', `not a symbol: ${JSON.stringify(s)}`);
    const lastEventId = c.req.header('last-event-id') ?? q.last_event_id;
    let resume;
    try {
      resume = lastEventId ? parsePosition(lastEventId) : undefined;
    } catch (err) {
      if (err instanceof PositionFormatError) throw new BadRequestProblem(c.req.header('last-event-id') ? 'Last-Event-ID' : 'last_event_id', err.message);
      throw err;
    }
    clients.inc();
    const session: SseClientOptions = {
      feed,
      channels,
      symbols,
      resume,
      maxPendingBytes: deps.config.API_STREAM_CLIENT_MAX_PENDING_BYTES,
      onSent: (n, last) => {
        sent.inc(n);
        if (last) latency.set((Date.now() - last.receivedAt) / 1000);
      },
      onClose: (reason) => {
        clients.dec();
        deps.logger.info({ reason }, 'sse client closed');
      },
    };
    // On @hono/node-server (HTTP/1.1), deliveries are written straight to its response (see sseNodeBody).
    const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
    const body = outgoing instanceof ServerResponse ? sseNodeBody(session, outgoing) : sseStream(session);
    return new Response(body, {
      status: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' },
    }) as never;
  });
}
