/**
 * A fleet of SSE clients in a process of its own (for bench/api.bench.ts), so that reading and
 * timing 50 streams does not share an event loop with the API or the publisher. Usage:
 * `node bin/run-ts.js bench/support/sse-client-fleet.ts <url> <clients> <max deliveries kept>`,
 * spawned with an IPC channel. Every client records, for each trade it gets, the trade id and
 * the time (Date.now(), this machine's system clock) the chunk holding it arrived. Messages: the
 * fleet sends `{ready}` once every client has its stream open; `{progress}` is answered with the
 * deliveries so far; `{publishedAt: [[tradeId, epochMs], ...], measureFromMs}` (each trade's
 * publication time, the broker's append time) is answered with `{received, kept, histogram}`:
 * milliseconds from publication to client → deliveries, for trades published at or after
 * `measureFromMs` (the earlier ones are warm-up).
 */
import http from 'node:http';

const [url, clientsArg, capacityArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const capacity = Number(capacityArg);
if (!url || !(clients > 0) || !(capacity > 0)) {
  console.error('usage: sse-client-fleet.ts <url> <clients> <max deliveries kept>');
  process.exit(2);
}
// The stream is read as latin1 text (one byte a character: a copy, no decoding) and searched with
// String.prototype.indexOf, inside V8: Buffer#indexOf with a Buffer needle crosses into C++ and
// builds its search tables on every call, and at 500k events/s it was half the fleet's CPU.
const MARKER = '"tradeId":';
const BOUNDARY = '\n\n';
const t0 = Date.now();
const ids = new Float64Array(capacity);
const arrivals = new Int32Array(capacity);
let received = 0;
const requests: http.ClientRequest[] = [];

/** Records the trades in `text` up to `end` (its last frame boundary) as arrived at `nowMs`. */
function consume(text: string, end: number, nowMs: number): void {
  for (let i = text.indexOf(MARKER); i >= 0 && i < end; i = text.indexOf(MARKER, i + MARKER.length)) {
    let id = 0;
    for (let j = i + MARKER.length; j < end; j++) {
      const d = text.charCodeAt(j) - 48;
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

function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/v1/stream?channels=trades`, { agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      let carry = '';
      let first = true;
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => {
        const nowMs = Date.now();
        if (first) {
          first = false;
          resolve();
        }
        const text = carry + chunk;
        const last = text.lastIndexOf(BOUNDARY);
        if (last < 0) {
          carry = text;
          return;
        }
        consume(text, last, nowMs);
        carry = text.slice(last + 2);
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    requests.push(req);
  });
}

await Promise.all(Array.from({ length: clients }, open));
process.send!({ ready: true });
process.on('message', (m: { progress?: boolean; publishedAt?: [number, number][]; measureFromMs?: number }) => {
  if (m.progress) process.send!({ progress: received });
  if (m.publishedAt) {
    for (const r of requests) r.destroy();
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
