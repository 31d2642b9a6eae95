// TEMPORARY stage tracing for the SSE bench (not committed).
import fs from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const dir = process.env.SSE_DIAG_DIR;
export const diagOn = !!dir;
const rows: Record<string, number[][]> = {};
export function rec(kind: string, row: number[]): void {
  if (!dir) return;
  (rows[kind] ??= []).push(row);
}
export function startDiag(name: string): void {
  if (!dir) return;
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  // Lag timeline: a 10 ms timer's lateness, max per 250 ms window.
  let expected = Date.now() + 10;
  let windowMax = 0;
  let windowStart = Date.now();
  setInterval(() => {
    const now = Date.now();
    windowMax = Math.max(windowMax, now - expected);
    expected = now + 10;
    if (now - windowStart >= 250) {
      rec('lag', [windowStart, windowMax]);
      windowStart = now;
      windowMax = 0;
    }
  }, 10).unref();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) rec('gc', [performance.timeOrigin + e.startTime, e.duration, (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1]);
  });
  obs.observe({ entryTypes: ['gc'] });
  const dump = () => {
    const out = { name, eld: { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, mean: h.mean / 1e6 }, rows };
    fs.writeFileSync(`${dir}/${name}-${process.pid}.json`, JSON.stringify(out));
  };
  process.on('exit', dump);
  (globalThis as { __diagDump?: () => void }).__diagDump = dump;
}
