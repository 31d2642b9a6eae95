/**
 * gold/alerts' volume surges: the windows whose volume is at least `ratio` times the median of
 * the series' previous `window` volumes (a full frame), each event once (a surge right after a
 * surge is the same event). One pass over each series with a sorted frame, the median as DuckDB's
 * `median(CAST(volume AS DOUBLE)) OVER (... ROWS BETWEEN window PRECEDING AND 1 PRECEDING)`
 * computes it (an even frame's two middle values averaged, `(lo + hi) / 2`), so the ratio and
 * median are the doubles the SQL computed.
 */
import type { GoldConfig } from '../config.ts';
import type { IndicatorSeries } from './indicator-series.ts';

export interface SurgeEvents {
  /** The rows (of the series read) raising a surge, with their ratio and median. */
  readonly rows: number[];
  readonly ratio: number[];
  readonly median: number[];
}

/** The surge events of the series `chosen` picks; `volume` is the series' volume column (as DOUBLE). */
export function volumeSurges(read: IndicatorSeries, volume: Float64Array, config: GoldConfig['volumeSurge'], chosen: (series: number) => boolean): SurgeEvents {
  const w = config.window;
  const frame = new Float64Array(w);
  const out: SurgeEvents = { rows: [], ratio: [], median: [] };
  // The middle value of w, or the two middle ones.
  const lo = Math.floor((w - 1) / 2);
  const hi = Math.ceil((w - 1) / 2);
  for (let k = 0; k < read.keys.length; k++) {
    if (!chosen(k)) continue;
    let n = 0;
    let previousSurged = false;
    for (let i = read.bounds[k]; i < read.bounds[k + 1]; i++) {
      let surged = false;
      if (n === w) {
        const median = lo === hi ? frame[lo] : (frame[lo] + frame[hi]) / 2;
        const ratio = volume[i] / median;
        surged = median !== 0 && ratio >= config.ratio;
        if (surged && !previousSurged) {
          out.rows.push(i);
          out.ratio.push(ratio);
          out.median.push(median);
        }
      }
      previousSurged = surged;
      // Slide the frame: the window leaving it out, this one in (kept sorted).
      if (n === w) remove(frame, n--, volume[i - w]);
      insert(frame, n++, volume[i]);
    }
  }
  return out;
}

/** The first index of sorted[0..n) whose value is not below x. */
function lowerBound(sorted: Float64Array, n: number, x: number): number {
  let a = 0;
  let b = n;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (sorted[m] < x) a = m + 1;
    else b = m;
  }
  return a;
}

function insert(sorted: Float64Array, n: number, x: number): void {
  const at = lowerBound(sorted, n, x);
  sorted.copyWithin(at + 1, at, n);
  sorted[at] = x;
}

function remove(sorted: Float64Array, n: number, x: number): void {
  const at = lowerBound(sorted, n, x);
  sorted.copyWithin(at, at + 1, n);
}
