/**
 * One SSE client of the live feed: filters the feed's events (channels, symbols), frames them
 * (`id` = stream position, `event` = channel, `data` = the Kafka JSON value as is), and writes
 * whatever accumulated in one chunk per event-loop turn. A client that cannot keep up (more than
 * `maxPendingBytes` queued) is disconnected; it resumes with Last-Event-ID and misses nothing.
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

/** Frames are built once per event and shared by every client that gets it. */
const frames = new WeakMap<FeedEvent, string>();

export function frameOf(e: FeedEvent): string {
  let frame = frames.get(e);
  if (frame === undefined) {
    // A Kafka value is one line of JSON; a value with line breaks is split into data lines (SSE rule).
    const data = e.json.includes('\n') ? e.json.split(/\r?\n/).join('\ndata: ') : e.json;
    frame = `id: ${e.id}\nevent: ${e.channel === 'trades' ? 'trade' : e.channel === 'candles' ? 'candle' : 'alert'}\ndata: ${data}\n\n`;
    frames.set(e, frame);
  }
  return frame;
}

/** The SSE response body for one client. */
export function sseStream(opts: SseClientOptions): ReadableStream<Uint8Array> {
  let unsubscribe: (() => void) | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;
  const abort = new AbortController();
  const matches = (e: FeedEvent) => opts.channels.has(e.channel) && (opts.symbols.size === 0 || (e.symbol !== undefined && opts.symbols.has(e.symbol)));
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let pending: string[] = [];
        let pendingEvents = 0;
        let lastEvent: FeedEvent | undefined;
        let scheduled = false;
        /** While a Kafka replay runs, live events wait here (in order) instead of being written. */
        let held: FeedEvent[] | undefined;
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
        const flush = () => {
          scheduled = false;
          if (closed || pending.length === 0) return;
          const chunk = encoder.encode(pending.join(''));
          pending = [];
          if ((controller.desiredSize ?? 0) < 0) {
            close('client too slow');
            return;
          }
          controller.enqueue(chunk);
          opts.onSent?.(pendingEvents, lastEvent);
          pendingEvents = 0;
        };
        const push = (e: FeedEvent) => {
          if (closed || !matches(e)) return;
          pending.push(frameOf(e));
          pendingEvents += 1;
          lastEvent = e;
          if (!scheduled) {
            scheduled = true;
            setImmediate(flush);
          }
        };
        const listener = (e: FeedEvent) => {
          if (held) held.push(e);
          else push(e);
        };
        let sub: { replay: FeedEvent[]; gaps: KafkaGap[]; unsubscribe: () => void };
        try {
          sub = opts.feed.subscribe(listener, opts.resume);
        } catch (err) {
          controller.error(err);
          return;
        }
        unsubscribe = sub.unsubscribe;
        // The client learns the position of "now" first, so that even a client that receives no
        // event before disconnecting resumes from here.
        pending.push(`retry: 1000\nid: ${opts.resume ? '' : opts.feed.currentId()}\n\n`.replace('id: \n', ''));
        if (sub.gaps.length === 0) {
          for (const e of sub.replay) push(e);
          flush();
        } else {
          held = [];
          const { gaps, replay } = sub;
          void (async () => {
            try {
              for (const gap of gaps) for (const e of await opts.feed.readRange(gap, abort.signal)) push(e);
              for (const e of replay) push(e);
              const waiting = held!;
              held = undefined;
              for (const e of waiting) push(e);
            } catch (err) {
              pending.push(`event: error\ndata: ${JSON.stringify({ detail: (err as Error).message })}\n\n`);
              flush();
              close('replay failed');
            }
          })();
        }
        heartbeat = setInterval(() => {
          pending.push(': keep-alive\n\n');
          if (!scheduled) {
            scheduled = true;
            setImmediate(flush);
          }
        }, opts.heartbeatMs ?? 15_000);
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
