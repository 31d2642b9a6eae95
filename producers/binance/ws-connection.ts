/**
 * A websocket that never gives up, as an async iterator (in the style of tardis-node): it yields
 * `open`, every `message` with our receive time, and `close` with the reason, then reconnects
 * after a jittered exponential backoff, forever, until the signal aborts. Breaking out of the
 * loop or aborting closes the socket (cleanup in `finally`).
 *
 * - Pings: `ws` answers the server's pings itself (autoPong); we also ping every
 *   `pingIntervalMs` so that a quiet but healthy connection still shows signs of life (pongs).
 * - Stale: no frame at all (message, ping or pong) for `staleAfterMs` → terminate and reconnect.
 * - Binance cuts connections after 24 h; we reconnect on our own after `maxConnectionMs`
 *   (a planned reconnect: no backoff).
 * - Backpressure: above `highWater` queued messages the socket is paused (TCP pushes back), and
 *   resumed once the consumer has drained half of them.
 */
import WebSocket from 'ws';
import type { Logger } from '../../common/logger.ts';
import { JitteredBackoff, type BackoffOptions } from '../polling/backoff.ts';
import { sleep } from '../polling/sleep.ts';
import type { ConnectAttemptLimiter } from './ws-connect-limiter.ts';

export type WsConnectionEvent =
  | { readonly type: 'open'; readonly connection: number; readonly at: number }
  | { readonly type: 'message'; readonly data: Buffer; readonly receivedAtUs: number }
  | { readonly type: 'close'; readonly connection: number; readonly at: number; readonly reason: string; readonly planned: boolean; readonly wasOpen: boolean };

export interface ReconnectingWsOptions {
  readonly url: string;
  readonly staleAfterMs: number;
  readonly pingIntervalMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxConnectionMs: number;
  readonly backoff: BackoffOptions;
  readonly limiter: ConnectAttemptLimiter;
  readonly highWater: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** A connection that stayed open this long resets the backoff (a flapping server does not). */
  readonly stableAfterMs?: number;
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** One socket's life: from connecting to closed. */
class WsSession {
  private readonly queue: WsConnectionEvent[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private paused = false;
  private closeReason: string | undefined;
  private lastError: string | undefined;
  private lastFrameAt = Date.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly ws: WebSocket;
  private readonly onAbort = () => this.shutdown('shutdown', false);
  openedAt: number | undefined;
  planned = false;
  messages = 0;

  constructor(
    private readonly id: number,
    private readonly opts: ReconnectingWsOptions,
  ) {
    this.ws = new WebSocket(opts.url, { handshakeTimeout: opts.handshakeTimeoutMs, perMessageDeflate: false, autoPong: true });
    this.ws.on('open', () => {
      this.openedAt = Date.now();
      this.lastFrameAt = this.openedAt;
      this.push({ type: 'open', connection: id, at: this.openedAt });
      this.startTimers();
    });
    this.ws.on('message', (data) => {
      this.lastFrameAt = Date.now();
      this.messages += 1;
      this.push({ type: 'message', data: toBuffer(data), receivedAtUs: Math.round((performance.timeOrigin + performance.now()) * 1000) });
      if (!this.paused && this.queue.length >= opts.highWater) {
        this.paused = true;
        this.ws.pause();
        opts.logger.warn({ connection: id, queued: this.queue.length }, 'consumer behind: pausing the socket');
      }
    });
    this.ws.on('ping', () => (this.lastFrameAt = Date.now()));
    this.ws.on('pong', () => (this.lastFrameAt = Date.now()));
    this.ws.on('error', (err) => (this.lastError = err.message));
    this.ws.on('close', (code, reason) => {
      const why = this.closeReason ?? (this.lastError ? `error: ${this.lastError}` : `closed by server (code ${code}${reason.length ? `, ${reason.toString()}` : ''})`);
      this.end(why);
    });
    opts.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private startTimers(): void {
    const { staleAfterMs, pingIntervalMs, maxConnectionMs } = this.opts;
    this.timers.push(
      setInterval(() => {
        if (!this.paused && Date.now() - this.lastFrameAt > staleAfterMs) this.shutdown(`stale: no frame for ${staleAfterMs} ms`, false);
      }, Math.max(10, Math.min(1_000, Math.floor(staleAfterMs / 4)))),
      setInterval(() => {
        if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
      }, pingIntervalMs),
      setTimeout(() => this.shutdown(`planned reconnect after ${maxConnectionMs} ms (before the 24 h server cut)`, true), maxConnectionMs),
    );
  }

  /** Closes the socket on our side; a planned close sends a close frame, the others cut at once. */
  private shutdown(reason: string, planned: boolean): void {
    if (this.ended || this.closeReason) return;
    this.closeReason = reason;
    this.planned = planned;
    if (planned && this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(1000, 'reconnecting');
      // A server that never answers the close frame must not keep us waiting.
      this.timers.push(setTimeout(() => this.ws.terminate(), 2_000));
    } else {
      this.ws.terminate();
    }
  }

  private push(ev: WsConnectionEvent): void {
    this.queue.push(ev);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.push({ type: 'close', connection: this.id, at: Date.now(), reason, planned: this.planned, wasOpen: this.openedAt !== undefined });
    this.ended = true;
    this.clearTimers();
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
  }

  async *events(): AsyncGenerator<WsConnectionEvent> {
    for (;;) {
      const ev = this.queue.shift();
      if (ev) {
        if (this.paused && this.queue.length <= this.opts.highWater / 2) {
          this.paused = false;
          this.lastFrameAt = Date.now();
          this.ws.resume();
        }
        yield ev;
        if (ev.type === 'close') return;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  dispose(): void {
    this.clearTimers();
    this.opts.signal.removeEventListener('abort', this.onAbort);
    if (this.ws.readyState !== WebSocket.CLOSED) {
      this.closeReason ??= 'consumer stopped';
      this.ws.terminate();
    }
  }
}

export async function* reconnectingWebSocket(opts: ReconnectingWsOptions): AsyncGenerator<WsConnectionEvent> {
  const backoff = new JitteredBackoff(opts.backoff);
  const stableAfterMs = opts.stableAfterMs ?? 30_000;
  let id = 0;
  while (!opts.signal.aborted) {
    if (!(await opts.limiter.acquire(opts.signal))) return;
    id += 1;
    const session = new WsSession(id, opts);
    try {
      yield* session.events();
    } finally {
      session.dispose();
    }
    if (opts.signal.aborted) return;
    if (session.planned) {
      backoff.reset();
      continue;
    }
    if (session.openedAt !== undefined && Date.now() - session.openedAt >= stableAfterMs && session.messages > 0) backoff.reset();
    const delay = backoff.nextDelayMs();
    opts.logger.info({ connection: id, retryInMs: delay, attempt: backoff.attempts }, 'reconnecting after backoff');
    if (!(await sleep(delay, opts.signal))) return;
  }
}
