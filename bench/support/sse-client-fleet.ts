/**
 * A fleet of SSE clients in a process of its own (for bench/api.bench.ts), so that reading and
 * timing 50 streams does not share an event loop with the API or the publisher. Usage:
 * `node bin/run-ts.js bench/support/sse-client-fleet.ts <url> <clients> <max deliveries kept>`,
 * spawned with an IPC channel. Every client records, for each trade it gets, the trade id and
 * the time (Date.now(), this machine's system clock) the bytes ending its frame arrived. Messages:
 * the fleet sends `{ready}` once every client has its stream open; `{progress}` is answered with
 * the deliveries so far; `{publishedAt: [[tradeId, epochMs], ...], measureFromMs}` (each trade's
 * publication time, the broker's append time) is answered with `{received, kept, histogram}`:
 * milliseconds from publication to client → deliveries, for trades published at or after
 * `measureFromMs` (the earlier ones are warm-up).
 *
 * It is the measuring instrument, so it must not be what is measured: at 50 × 10k events/s
 * (~150 MB/s) each client is a bare HTTP/1.1 GET on a socket of its own, read as Buffers as
 * they come off the socket (no HTTP parser stream, no string decoding, no copies of whole
 * chunks), and the trade ids are found with memchr (Buffer#indexOf of one byte) for the `I` of
 * `"tradeId":`, the whole marker then checked byte by byte: ~10× cheaper than String#indexOf of
 * the marker over latin1 text, which was most of the fleet's CPU. HTTP chunk-size lines sit
 * between frames (every write of the API is whole frames), so they need no parsing here.
 */
import net from 'node:net';

const [url, clientsArg, capacityArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const capacity = Number(capacityArg);
if (!url || !(clients > 0) || !(capacity > 0)) {
  console.error('usage: sse-client-fleet.ts <url> <clients> <max deliveries kept>');
  process.exit(2);
}
const MARKER = Buffer.from('"tradeId":', 'latin1');
/** The marker's rarest byte (once a trade frame), searched with memchr; its offset in the marker. */
const ANCHOR = 'I'.charCodeAt(0);
const ANCHOR_AT = MARKER.indexOf(ANCHOR);
const LF = 10;
const t0 = Date.now();
const ids = new Float64Array(capacity);
const arrivals = new Int32Array(capacity);
let received = 0;
const sockets: net.Socket[] = [];

/** Whether `buf` holds the whole marker with its anchor byte at `i`. */
function markerAt(buf: Buffer, i: number): boolean {
  const start = i - ANCHOR_AT;
  if (start < 0) return false;
  for (let k = 0; k < MARKER.length; k++) if (buf[start + k] !== MARKER[k]) return false;
  return true;
}

/** Records the trades in `buf` before `end` (just past its last complete frame) as arrived at `nowMs`. */
function consume(buf: Buffer, end: number, nowMs: number): void {
  for (let i = buf.indexOf(ANCHOR); i >= 0 && i < end; i = buf.indexOf(ANCHOR, i + 1)) {
    if (!markerAt(buf, i)) continue;
    let id = 0;
    for (let j = i - ANCHOR_AT + MARKER.length; j < end; j++) {
      const d = buf[j] - 48;
      if (d < 0 || d > 9) break;
      id = id * 10 + d;
    }
    if (received < capacity) {
      ids[received] = id;
      arrivals[received] = nowMs - t0;
    }
    received++;
  }
}

/** Just past the first frame boundary in `buf` (which has one), `afterLF` if the bytes before it end with "\n". */
function firstFrameEnd(buf: Buffer, afterLF: boolean): number {
  if (afterLF && buf[0] === LF) return 1;
  for (let i = 1; i < buf.length; i++) if (buf[i] === LF && buf[i - 1] === LF) return i + 1;
  return buf.length;
}

/** Just past the last frame boundary (a blank line: "\n\n") in `buf`, or -1. */
function lastFrameEnd(buf: Buffer): number {
  for (let i = buf.length - 1; i > 0; i--) if (buf[i] === LF && buf[i - 1] === LF) return i + 1;
  return -1;
}

function open(): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let head: Buffer | undefined = Buffer.alloc(0);
    /** The bytes after the last complete frame, prefixed to the next read. */
    let carry: Buffer | undefined;
    const onData = (chunk: Buffer) => {
      const nowMs = Date.now();
      if (head) {
        // The response head first: a 200, then the body from after the blank line.
        head = Buffer.concat([head, chunk]);
        const bodyAt = head.indexOf('\r\n\r\n');
        if (bodyAt < 0) return;
        if (!head.subarray(0, 13).toString('latin1').startsWith('HTTP/1.1 200')) return reject(new Error(`stream answered ${head.subarray(0, 40).toString('latin1')}`));
        chunk = head.subarray(bodyAt + 4);
        head = undefined;
        resolve();
      }
      const end = lastFrameEnd(chunk);
      if (end < 0) {
        carry = carry ? Buffer.concat([carry, chunk]) : Buffer.from(chunk);
        return;
      }
      let from = 0;
      if (carry) {
        // Only the frame the carried bytes begin is joined up (not the whole read: the carry is
        // there after almost every read, if only the CRLF that ends an HTTP chunk).
        from = firstFrameEnd(chunk, carry[carry.length - 1] === LF);
        const joined = Buffer.concat([carry, chunk.subarray(0, from)]);
        consume(joined, joined.length, nowMs);
      }
      consume(chunk.subarray(from), end - from, nowMs);
      carry = end < chunk.length ? Buffer.from(chunk.subarray(end)) : undefined;
    };
    // Each socket reads into one buffer of its own, reused for every read (`onread`): no buffer
    // allocated per read (at ~150 MB/s they were the fleet's external memory and its GC's work).
    const readBuffer = Buffer.allocUnsafe(256 * 1024);
    const onRead = (n: number) => {
      onData(readBuffer.subarray(0, n));
      return true;
    };
    const socket = net.connect({ host: hostname, port: Number(port), onread: { buffer: readBuffer, callback: onRead } });
    sockets.push(socket);
    socket.on('connect', () => socket.write(`GET /v1/stream?channels=trades HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`));
    socket.on('error', reject);
  });
}

await Promise.all(Array.from({ length: clients }, open));
process.send!({ ready: true });
process.on('message', (m: { progress?: boolean; publishedAt?: [number, number][]; measureFromMs?: number }) => {
  if (m.progress) process.send!({ progress: received });
  if (m.publishedAt) {
    for (const s of sockets) s.destroy();
    const publishedAt = new Map(m.publishedAt);
    const histogram: Record<number, number> = {};
    const kept = Math.min(received, capacity);
    let unmatched = 0;
    for (let k = 0; k < kept; k++) {
      const at = publishedAt.get(ids[k]);
      if (at === undefined) {
        unmatched++;
        continue;
      }
      if (at < (m.measureFromMs ?? 0)) continue;
      const ms = Math.max(0, t0 + arrivals[k] - at);
      histogram[ms] = (histogram[ms] ?? 0) + 1;
    }
    process.send!({ received, kept, unmatched, histogram }, () => process.exit(0));
  }
});
