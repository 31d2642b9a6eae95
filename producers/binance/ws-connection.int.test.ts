/** The reconnecting websocket iterator against the local server: backpressure and cleanup. */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/logger.ts';
import { startBinanceWsServer, type BinanceWsTestServer } from '../../test/support/binance/ws-binance-server.ts';
import { ConnectAttemptLimiter } from './ws-connect-limiter.ts';
import { reconnectingWebSocket, type ReconnectingWsOptions } from './ws-connection.ts';

let server: BinanceWsTestServer | undefined;
afterEach(async () => server?.close());

function options(signal: AbortSignal, extra: Partial<ReconnectingWsOptions> = {}): ReconnectingWsOptions {
  return {
    url: `${server!.url}/stream?streams=btcusdt@trade`,
    staleAfterMs: 300,
    pingIntervalMs: 100,
    handshakeTimeoutMs: 1_000,
    maxConnectionMs: 60_000,
    backoff: { initialMs: 20, maxMs: 50 },
    limiter: new ConnectAttemptLimiter(300, 300_000),
    highWater: 50,
    signal,
    logger: createLogger('test', 'silent'),
    ...extra,
  };
}

describe('reconnectingWebSocket', () => {
  it('pauses the socket for a slow consumer without losing, reordering, or calling the connection stale', async () => {
    server = await startBinanceWsServer();
    const ac = new AbortController();
    const frames = Array.from({ length: 2_000 }, (_, i) => `{"n":${i}}`);
    const received: number[] = [];
    const events: string[] = [];
    let sent = false;
    for await (const ev of reconnectingWebSocket(options(ac.signal))) {
      events.push(ev.type);
      if (ev.type === 'open' && !sent) {
        sent = true;
        void server.connections[0].sendAll(frames);
      }
      if (ev.type === 'message') {
        received.push(JSON.parse(ev.data.toString()).n);
        // Slower than the stale limit in total: 2000 × 0.25 ms + a long stall at the start.
        if (received.length === 1) await new Promise((r) => setTimeout(r, 600));
        if (received.length === frames.length) break;
      }
    }
    expect(received).toEqual(frames.map((_, i) => i));
    expect(events.filter((e) => e === 'close')).toEqual([]);
    expect(server.connections).toHaveLength(1);
    await server.connections[0].closed; // breaking out of the loop closed the socket
  });

  it('stops reconnecting and closes the socket when the signal aborts', async () => {
    server = await startBinanceWsServer();
    const ac = new AbortController();
    const seen: string[] = [];
    for await (const ev of reconnectingWebSocket(options(ac.signal))) {
      seen.push(ev.type === 'close' ? `close:${ev.reason}` : ev.type);
      if (ev.type === 'open') setTimeout(() => ac.abort(), 50);
    }
    expect(seen).toEqual(['open', 'close:shutdown']);
    await server.connections[0].closed;
    await new Promise((r) => setTimeout(r, 150));
    expect(server.connections).toHaveLength(1);
  });
});
