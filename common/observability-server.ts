/**
 * The small HTTP server every non-HTTP service (producers, streaming, worker) runs beside its
 * work: `GET /metrics` for Prometheus and `GET /health` for orchestrators and `marketlake dev`.
 * The API serves the same two routes from its own Hono app using `healthResponse`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ServicePortInUseError } from './startup-errors.ts';

export type HealthStatus = 'ok' | 'degraded' | 'down';
export interface HealthReport {
  readonly status: HealthStatus;
  readonly checks?: Readonly<Record<string, { status: HealthStatus; detail?: string }>>;
}
export type HealthCheck = () => HealthReport | Promise<HealthReport>;

/** Turns a health report into a status code and body: 200 when ok or degraded, 503 when down. */
export async function healthResponse(service: string, check: HealthCheck): Promise<{ code: number; body: object }> {
  let report: HealthReport;
  try {
    report = await check();
  } catch (err) {
    report = { status: 'down', checks: { health: { status: 'down', detail: (err as Error).message } } };
  }
  return { code: report.status === 'down' ? 503 : 200, body: { service, ...report, time: new Date().toISOString() } };
}

export interface ObservabilityServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startObservabilityServer(opts: {
  service: string;
  registry: Registry;
  health: HealthCheck;
  port: number;
  /** Default loopback (METRICS_HOST); `0.0.0.0` for all interfaces. */
  host?: string;
  /** The variable that sets `port`, named in the error when the port is taken. */
  portEnvVar?: string;
  /** More exposition text appended to /metrics (e.g. the Temporal SDK's own metrics). */
  extraMetrics?: () => Promise<string>;
}): Promise<ObservabilityServer> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed\n');
    if (url === '/metrics') {
      Promise.all([opts.registry.metrics(), opts.extraMetrics?.().catch(() => '') ?? Promise.resolve('')]).then(
        ([text, extra]) => send(200, opts.registry.contentType, extra ? `${text.trimEnd()}\n${extra}` : text),
        (err: Error) => send(500, 'text/plain', `${err.message}\n`),
      );
      return;
    }
    if (url === '/health') {
      void healthResponse(opts.service, opts.health).then(({ code, body }) =>
        send(code, 'application/json', JSON.stringify(body)),
      );
      return;
    }
    send(404, 'text/plain', 'not found: try /metrics or /health\n');
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new ServicePortInUseError(opts.port, host, opts.portEnvVar) : err),
    );
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const wildcard = host === '0.0.0.0' || host === '::';
  return {
    port,
    url: `http://${wildcard ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
