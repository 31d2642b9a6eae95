/**
 * One SSE client of the live feed: filters the feed's events (channels, symbols), frames them
 * (`id` = stream position, `event` = channel, `data` = the Kafka JSON value as is) and writes each
 * feed delivery (one event-loop turn's events) as one chunk. The bytes of a delivery are encoded
 * once per distinct filter and the same buffer is written to every client with that filter: the
 * cost of a delivery grows with the number of distinct subscriptions, not with the number of
 * clients. On Node the chunks go straight to the HTTP response (`sseNodeBody`), elsewhere through
 * a web stream (`sseStream`). A client that cannot keep up (more than `maxPendingBytes` not yet
 * taken by its socket) is disconnected; it resumes with Last-Event-ID and misses nothing.
 */
import type { ServerResponse } from 'node:http';
import type { FeedEvent, KafkaGap, LiveFeed } from './live-feed.ts';
import type { Channel, Position } from './position.ts';

export interface SseClientOptions {
  readonly feed: LiveFeed;
  readonly channels: ReadonlySet<Channel>;
  /** Upper-case symbols; empty: all. */
  readonly symbols: ReadonlySet<string>;
  readonly resume: Position | undefined;
  readonly maxPendingBytes: number;
  readonly heartbeatMs?: number;
  readonly onSent?: (events: number, lastEvent: FeedEvent | undefined) => void;
  readonly onClose?: (reason: string) => void;
}

const encoder = new TextEncoder();

const EVENT_NAMES: Record<Channel, string> = { trades: 'trade', candles: 'candle', alerts: 'alert' };
const LF = 0x0a;

/** An event's SSE frame in two parts: its head (`id`, `event`, `data: `, ASCII) and its data bytes. */
interface Frame {
  readonly head: string;
  readonly data: Buffer;
}

function frameOf(e: FeedEvent): Frame {
  // A Kafka value is one line of JSON; a value with line breaks is split into data lines (SSE rule).
  const data = e.value.includes(LF) ? Buffer.from(e.json.split(/\r?\n/).join('\ndata: ')) : e.value;
  return { head: `id: ${e.id}\nevent: ${EVENT_NAMES[e.channel]}\ndata: `, data };
}

/** What a client asks for, as a key shared by every client asking the same. */
export interface Subscription {
  readonly key: string;
  matches(e: FeedEvent): boolean;
}

export function subscriptionOf(channels: ReadonlySet<Channel>, symbols: ReadonlySet<string>): Subscription {
  return {
    key: `${[...channels].sort().join(',')}|${[...symbols].sort().join(',')}`,
    matches: (e) => channels.has(e.channel) && (symbols.size === 0 || (e.symbol !== undefined && symbols.has(e.symbol))),
  };
}

/** A delivery's events for one subscription, encoded. */
interface EncodedDelivery {
  readonly bytes: Uint8Array;
  readonly events: number;
  readonly last: FeedEvent | undefined;
}

const NOTHING: EncodedDelivery = { bytes: new Uint8Array(0), events: 0, last: undefined };
/**
 * Per delivery (the array the feed hands every listener): its events' frames, built once and
 * shared by every subscription that gets them, and its bytes per subscription. Kept by the
 * delivery, not by the events: the feed's replay ring holds 200k events, and frames cached on
 * them kept ~70 MB more alive in the old generation for the garbage collector to mark.
 */
const encodedDeliveries = new WeakMap<readonly FeedEvent[], { frames: (Frame | undefined)[]; bySubscription: Map<string, EncodedDelivery> }>();

/** The bytes of a delivery for a subscription, built by the first client that needs them. */
export function encodeDelivery(delivery: readonly FeedEvent[], sub: Subscription): EncodedDelivery {
  let cached = encodedDeliveries.get(delivery);
  if (!cached) encodedDeliveries.set(delivery, (cached = { frames: [], bySubscription: new Map() }));
  let encoded = cached.bySubscription.get(sub.key);
  if (!encoded) {
    // The frames' bytes copied once into one buffer: the values as Kafka delivered them, no text.
    const frames: Frame[] = [];
    let size = 0;
    let last: FeedEvent | undefined;
    for (let i = 0; i < delivery.length; i++) {
      const e = delivery[i];
      if (!sub.matches(e)) continue;
      const frame = (cached.frames[i] ??= frameOf(e));
      frames.push(frame);
      size += frame.head.length + frame.data.length + 2;
      last = e;
    }
    if (frames.length === 0) encoded = NOTHING;
    else {
      const bytes = Buffer.allocUnsafe(size);
      let at = 0;
      for (const { head, data } of frames) {
        at += bytes.write(head, at, 'latin1');
        at += data.copy(bytes, at);
        bytes[at++] = LF;
        bytes[at++] = LF;
      }
      encoded = { bytes, events: frames.length, last };
    }
    cached.bySubscription.set(sub.key, encoded);
  }
  return encoded;
}

/** Where one client's bytes go. */
interface SseSink {
  write(bytes: Uint8Array): void;
  /** Bytes written that the client has not taken yet. */
  pendingBytes(): number;
  /** Ends the response after what was written (e.g. after a replay error's event). */
  end(): void;
  /** Drops the client now, with whatever it has not taken (too slow: nothing more is kept for it). */
  drop(): void;
}

/**
 * One client's session on `sink`: the position of "now" (or the replay after Last-Event-ID:
 * Kafka ranges, then the feed's memory), then every delivery, each as one write. Returns what
 * ends it when the client goes away. Throws LiveFeedUnavailable when the feed is not connected.
 */
function startSession(opts: SseClientOptions, sink: SseSink): { cancel(): void } {
  let unsubscribe: (() => void) | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;
  const abort = new AbortController();
  const sub = subscriptionOf(opts.channels, opts.symbols);
  /** While a Kafka replay runs, live deliveries wait here (in order) instead of being written. */
  let held: (readonly FeedEvent[])[] | undefined;
  const stop = (reason: string, then?: 'end' | 'drop') => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    clearInterval(heartbeat);
    abort.abort();
    opts.onClose?.(reason);
    if (then === 'end') sink.end();
    if (then === 'drop') sink.drop();
  };
  const write = (chunk: EncodedDelivery) => {
    if (closed || chunk.bytes.length === 0) return;
    if (sink.pendingBytes() > opts.maxPendingBytes) {
      stop('client too slow', 'drop');
      return;
    }
    sink.write(chunk.bytes);
    if (chunk.events > 0) opts.onSent?.(chunk.events, chunk.last);
  };
  const writeText = (text: string) => write({ bytes: encoder.encode(text), events: 0, last: undefined });
  const writeDelivery = (delivery: readonly FeedEvent[]) => write(encodeDelivery(delivery, sub));
  let subscribed: { replay: FeedEvent[]; gaps: KafkaGap[]; unsubscribe: () => void };
  try {
    subscribed = opts.feed.subscribe((delivery) => {
      if (held) held.push(delivery);
      else writeDelivery(delivery);
    }, opts.resume);
  } catch (err) {
    stop('live feed unavailable');
    throw err;
  }
  unsubscribe = subscribed.unsubscribe;
  // The client learns the position of "now" first, so that even a client that receives no
  // event before disconnecting resumes from here.
  writeText(opts.resume ? 'retry: 1000\n\n' : `retry: 1000\nid: ${opts.feed.currentId()}\n\n`);
  const { gaps, replay } = subscribed;
  if (gaps.length === 0) {
    writeDelivery(replay);
  } else {
    held = [];
    void (async () => {
      try {
        for (const gap of gaps) writeDelivery(await opts.feed.readRange(gap, abort.signal));
        writeDelivery(replay);
        const waiting = held!;
        held = undefined;
        for (const delivery of waiting) writeDelivery(delivery);
      } catch (err) {
        writeText(`event: error\ndata: ${JSON.stringify({ detail: (err as Error).message })}\n\n`);
        stop('replay failed', 'end');
      }
    })();
  }
  heartbeat = setInterval(() => writeText(': keep-alive\n\n'), opts.heartbeatMs ?? 15_000);
  heartbeat.unref();
  return { cancel: () => stop('client disconnected') };
}

/**
 * The SSE response body for one client as a web stream (`app.request()`, runtimes other than
 * Node). Its queue holds what the client has not taken yet.
 */
export function sseStream(opts: SseClientOptions): ReadableStream<Uint8Array> {
  let session: { cancel(): void } | undefined;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        try {
          session = startSession(opts, {
            write: (bytes) => controller.enqueue(bytes),
            pendingBytes: () => opts.maxPendingBytes - (controller.desiredSize ?? 0),
            end: () => {
              try {
                controller.close();
              } catch {
                // already closed by the client
              }
            },
            drop: () => controller.error(new Error('client too slow')),
          });
        } catch (err) {
          controller.error(err);
        }
      },
      cancel() {
        session?.cancel();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: opts.maxPendingBytes }),
  );
}

/**
 * The SSE response body for one client of @hono/node-server (`res`: its ServerResponse). The
 * head goes out through Hono as for any route (with the headers its middleware set: CORS,
 * request id, rate limit); this body yields nothing itself: once the head is out, the session
 * writes every delivery straight to `res` (one `write`, i.e. one socket write, per delivery)
 * instead of through a web stream (a read promise, a chunk handed over and a `drain` wait per
 * delivery, per client). The bytes the socket has not taken are `res.writableLength`; past
 * `maxPendingBytes` the connection is dropped (the client resumes with Last-Event-ID).
 */
export function sseNodeBody(opts: SseClientOptions, res: ServerResponse): ReadableStream<Uint8Array> {
  let session: { cancel(): void } | undefined;
  let closed = false;
  const onClose = (reason: string) => {
    if (!closed) opts.onClose?.(reason);
    closed = true;
  };
  return new ReadableStream<Uint8Array>(
    {
      // Pulled when the server first reads the body: on its usual path after writing the head;
      // on its other path (reads before the head, to set a Content-Length) the head comes next.
      async pull(controller) {
        while (!res.headersSent && !res.destroyed) await new Promise((r) => setImmediate(r));
        if (res.destroyed) onClose('client disconnected');
        else {
          res.socket?.setNoDelay(true);
          session = startSession({ ...opts, onClose }, { write: (bytes) => void res.write(bytes), pendingBytes: () => res.writableLength, end: () => res.end(), drop: () => res.destroy() });
          if (!res.destroyed) await new Promise((resolve) => res.once('close', resolve));
          session.cancel();
        }
        try {
          controller.close();
        } catch {
          // cancelled by the server
        }
      },
      cancel() {
        if (session) session.cancel();
        else onClose('client disconnected');
      },
    },
    { highWaterMark: 0 },
  );
}
