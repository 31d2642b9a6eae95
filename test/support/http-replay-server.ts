/**
 * A local HTTP server that answers each path from a script of responses (recorded payloads,
 * then 429 with Retry-After, 500s, answers slower than the client's timeout, ...). Each request
 * takes the next scripted response of its path; the last one repeats. Every request is recorded
 * so tests can check what the client sent and when.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedResponse {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Wait this long before answering (longer than the client's timeout = a timeout). */
  readonly delayMs?: number;
}

export interface RecordedRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly at: number;
}

export interface HttpReplayServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the script of a path. */
  script(path: string, responses: readonly ScriptedResponse[]): void;
  requestsTo(path: string): RecordedRequest[];
  close(): Promise<void>;
}

export async function startHttpReplayServer(scripts: Record<string, readonly ScriptedResponse[]> = {}): Promise<HttpReplayServer> {
  const queues = new Map<string, ScriptedResponse[]>(Object.entries(scripts).map(([p, r]) => [p, [...r]]));
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ path: parsed.pathname, query: parsed.searchParams, headers: req.headers, at: Date.now() });
    const queue = queues.get(parsed.pathname);
    if (!queue || queue.length === 0) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no script for ${parsed.pathname}\n`);
      return;
    }
    const next = queue.length > 1 ? queue.shift()! : queue[0];
    const answer = () => {
      if (res.destroyed) return;
      res.writeHead(next.status ?? 200, { 'content-type': 'application/json', ...next.headers });
      res.end(next.body ?? '');
    };
    if (next.delayMs) {
      const t = setTimeout(() => {
        timers.delete(t);
        answer();
      }, next.delayMs);
      timers.add(t);
    } else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (p, responses) => queues.set(p, [...responses]),
    requestsTo: (p) => requests.filter((r) => r.path === p),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
