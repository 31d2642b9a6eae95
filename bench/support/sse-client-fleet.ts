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
 * It is the measuring instrument, so it must not be what is measured: each client is a bare
 * HTTP/1.1 GET on a socket of its own, read into one reused buffer and handed to an
 * SseTradeReader (sse-trade-reader.ts) as the bytes arrive.
 */
import net from 'node:net';
import { SseTradeReader } from './sse-trade-reader.ts';

const [url, clientsArg, capacityArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const capacity = Number(capacityArg);
if (!url || !(clients > 0) || !(capacity > 0)) {
  console.error('usage: sse-client-fleet.ts <url> <clients> <max deliveries kept>');
  process.exit(2);
}
const t0 = Date.now();
const ids = new Float64Array(capacity);
const arrivals = new Int32Array(capacity);
let received = 0;
const sockets: net.Socket[] = [];

/** Keeps a trade's id and arrival (the first `capacity` of them). */
function record(id: number, nowMs: number): void {
  if (received < capacity) {
    ids[received] = id;
    arrivals[received] = nowMs - t0;
  }
  received++;
}

function open(): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const reader = new SseTradeReader(record);
    const onData = (chunk: Buffer) => {
      try {
        reader.read(chunk, Date.now());
      } catch (err) {
        reject(err);
        return;
      }
      if (reader.open) resolve();
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
