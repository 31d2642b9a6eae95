/**
 * One SSE client of the live feed: filters the feed's events (channels, symbols), frames them
 * (`id` = stream position, `event` = channel, `data` = the Kafka JSON value as is) and writes each
 * feed delivery (one event-loop turn's events) as one chunk. The bytes of a delivery are encoded
 * once per distinct filter and the same buffer is written to every client with that filter: the
 * cost of a delivery grows with the number of distinct subscriptions, not with the number of
 * clients. A client that cannot keep up (more than `maxPendingBytes` queued) is disconnected; it
 * resumes with Last-Event-ID and misses nothing.
 */
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

/** An event's SSE frame (id, event type, data lines). */
export function frameOf(e: FeedEvent): string {
  // A Kafka value is one line of JSON; a value with line breaks is split into data lines (SSE rule).
  const data = e.json.includes('\n') ? e.json.split(/\r?\n/).join('\ndata: ') : e.json;
  return `id: ${e.id}\nevent: ${e.channel === 'trades' ? 'trade' : e.channel === 'candles' ? 'candle' : 'alert'}\ndata: ${data}\n\n`;
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
const encodedDeliveries = new WeakMap<readonly FeedEvent[], { frames: (string | undefined)[]; bySubscription: Map<string, EncodedDelivery> }>();

/** The bytes of a delivery for a subscription, built by the first client that needs them. */
export function encodeDelivery(delivery: readonly FeedEvent[], sub: Subscription): EncodedDelivery {
  let cached = encodedDeliveries.get(delivery);
  if (!cached) encodedDeliveries.set(delivery, (cached = { frames: [], bySubscription: new Map() }));
  let encoded = cached.bySubscription.get(sub.key);
  if (!encoded) {
    let text = '';
    let events = 0;
    let last: FeedEvent | undefined;
    for (let i = 0; i < delivery.length; i++) {
      const e = delivery[i];
      if (!sub.matches(e)) continue;
      text += cached.frames[i] ??= frameOf(e);
      events += 1;
      last = e;
    }
    encoded = events === 0 ? NOTHING : { bytes: encoder.encode(text), events, last };
    cached.bySubscription.set(sub.key, encoded);
  }
  return encoded;
}

/** The SSE response body for one client. */
export function sseStream(opts: SseClientOptions): ReadableStream<Uint8Array> {
  let unsubscribe: (() => void) | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;
  const abort = new AbortController();
  const sub = subscriptionOf(opts.channels, opts.symbols);
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        /** While a Kafka replay runs, live deliveries wait here (in order) instead of being written. */
        let held: (readonly FeedEvent[])[] | undefined;
        const close = (reason: string) => {
          if (closed) return;
          closed = true;
          unsubscribe?.();
          clearInterval(heartbeat);
          abort.abort();
          opts.onClose?.(reason);
          try {
            controller.close();
          } catch {
            // already closed by the client
          }
        };
        const write = (chunk: EncodedDelivery) => {
          if (closed || chunk.bytes.length === 0) return;
          // The web stream's queue holds what the socket has not taken yet.
          if ((controller.desiredSize ?? 0) < 0) {
            close('client too slow');
            return;
          }
          controller.enqueue(chunk.bytes);
          if (chunk.events > 0) opts.onSent?.(chunk.events, chunk.last);
        };
        const writeText = (text: string) => write({ bytes: encoder.encode(text), events: 0, last: undefined });
        const writeDelivery = (delivery: readonly FeedEvent[]) => write(encodeDelivery(delivery, sub));
        const listener = (delivery: readonly FeedEvent[]) => {
          if (held) held.push(delivery);
          else writeDelivery(delivery);
        };
        let subscribed: { replay: FeedEvent[]; gaps: KafkaGap[]; unsubscribe: () => void };
        try {
          subscribed = opts.feed.subscribe(listener, opts.resume);
        } catch (err) {
          controller.error(err);
          return;
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
              close('replay failed');
            }
          })();
        }
        heartbeat = setInterval(() => writeText(': keep-alive\n\n'), opts.heartbeatMs ?? 15_000);
        heartbeat.unref();
      },
      cancel() {
        if (closed) return;
        closed = true;
        unsubscribe?.();
        clearInterval(heartbeat);
        abort.abort();
        opts.onClose?.('client disconnected');
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: opts.maxPendingBytes }),
  );
}
