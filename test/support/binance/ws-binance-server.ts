/**
 * A local websocket server speaking Binance's combined-stream protocol for tests: clients
 * connect to `/stream?streams=a/b/c`, and the test sends frames (recorded or built from real
 * trades), drops connections, goes silent (stops answering pings and sending), or sends
 * malformed frames. It can also ping clients like Binance does (every 20 s in production).
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ServerConnection {
  /** The request path and query the client connected with. */
  readonly path: string;
  readonly streams: readonly string[];
  readonly openedAt: number;
  /** Pings the client sent us. */
  pingsReceived: number;
  /** Pongs the client answered to our pings. */
  pongsReceived: number;
  send(frame: string | Buffer): Promise<void>;
  /** Sends each frame in order; resolves when they are all written. */
  sendAll(frames: readonly (string | Buffer)[]): Promise<void>;
  /** Cuts the TCP connection without a close frame (a network drop). */
  drop(): void;
  /** Stops answering pings and sending anything: the connection looks alive to TCP only. */
  silence(): void;
  /** Sends a websocket ping, as Binance does. */
  ping(): void;
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
}

export interface BinanceWsTestServer {
  /** `ws://127.0.0.1:<port>`: the producer's BINANCE_WS_BASE_URL. */
  readonly url: string;
  readonly connections: ServerConnection[];
  /** Resolves with the n-th connection (1-based) once it is open. */
  connection(n: number, timeoutMs?: number): Promise<ServerConnection>;
  /** Refuse the next `n` upgrade attempts (HTTP 400 instead of 101: a failing reconnect). */
  refuseNext(n: number): void;
  readonly refusedAttempts: number;
  close(): Promise<void>;
}

export async function startBinanceWsServer(): Promise<BinanceWsTestServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false });
  const connections: ServerConnection[] = [];
  const waiters: (() => void)[] = [];
  let refuse = 0;
  let refused = 0;

  // Refusals happen before the upgrade, like a Binance 429/503 on connect.
  wss.shouldHandle = () => {
    if (refuse > 0) {
      refuse -= 1;
      refused += 1;
      return false;
    }
    return true;
  };

  wss.on('connection', (socket: WebSocket, req) => {
    const url = new URL(req.url ?? '/', 'ws://localhost');
    let silent = false;
    let resolveClosed: () => void = () => undefined;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    const conn: ServerConnection = {
      path: `${url.pathname}${url.search}`,
      streams: (url.searchParams.get('streams') ?? '').split('/').filter(Boolean),
      openedAt: Date.now(),
      pingsReceived: 0,
      pongsReceived: 0,
      send: (frame) =>
        new Promise<void>((resolve) => {
          if (silent || socket.readyState !== socket.OPEN) return resolve();
          socket.send(frame, { binary: false }, () => resolve());
        }),
      async sendAll(frames) {
        for (const f of frames) await conn.send(f);
      },
      drop: () => socket.terminate(),
      silence: () => {
        silent = true;
      },
      ping: () => {
        if (!silent && socket.readyState === socket.OPEN) socket.ping();
      },
      closed,
      get isClosed() {
        return socket.readyState === socket.CLOSED;
      },
    };
    socket.on('ping', (data) => {
      conn.pingsReceived += 1;
      if (!silent) socket.pong(data);
    });
    socket.on('pong', () => (conn.pongsReceived += 1));
    socket.on('close', () => resolveClosed());
    socket.on('error', () => undefined);
    connections.push(conn);
    for (const w of waiters.splice(0)) w();
  });

  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const { port } = wss.address() as AddressInfo;

  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    async connection(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (connections.length < n) {
        if (Date.now() > deadline) throw new Error(`connection #${n} did not arrive within ${timeoutMs} ms (have ${connections.length})`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return connections[n - 1];
    },
    refuseNext(n) {
      refuse = n;
    },
    get refusedAttempts() {
      return refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
