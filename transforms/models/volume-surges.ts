/**
 * gold/alerts' volume surges: the windows whose volume is at least `ratio` times the median of
 * the series' previous `window` volumes (a full frame), each event once (a surge right after a
 * surge is the same event). Computed in one pass over each series with a sorted frame, as DuckDB's
 * `median(CAST(volume AS DOUBLE)) OVER (... ROWS BETWEEN window PRECEDING AND 1 PRECEDING)`
 * computes it (the mean of the two middle values of an even frame, `lo + (hi - lo) * 0.5`), so
 * the ratio and median are the same doubles.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { GoldConfig } from '../config.ts';
import { readIndicatorSeries, type SeriesKey } from './indicator-series.ts';

export interface VolumeSurges {
  readonly keys: readonly SeriesKey[];
  /** One entry a surge event: its series (index into keys), window_start (raw int64), ratio, median and volume (raw decimal). */
  readonly series: Int32Array;
  readonly windowStart: Uint8Array;
  readonly ratio: Float64Array;
  readonly median: Float64Array;
  readonly volume: Uint8Array;
  /** DuckDB's types of the raw columns. */
  readonly windowStartType: string;
  readonly volumeType: string;
}

export async function volumeSurges(conn: DuckDBConnection, relation: string, where: string, config: GoldConfig['volumeSurge']): Promise<VolumeSurges> {
  const read = await readIndicatorSeries(conn, { relation, where, doubles: { volume: 'volume' }, raw: { volume_raw: 'volume' } });
  const volumes = read.doubles.volume;
  const w = config.window;
  const frame = new Float64Array(w);
  const events: number[] = [];
  const ratios: number[] = [];
  const medians: number[] = [];
  const seriesOf: number[] = [];
  // DuckDB's continuous quantile 0.5 of w values: the value at (w - 1) / 2, interpolated.
  const position = (w - 1) * 0.5;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  for (let k = 0; k < read.keys.length; k++) {
    let n = 0;
    let previousSurged = false;
    for (let i = read.bounds[k]; i < read.bounds[k + 1]; i++) {
      let surged = false;
      if (n === w) {
        const median = lo === hi ? frame[lo] : frame[lo] + (frame[hi] - frame[lo]) * (position - lo);
        const ratio = volumes[i] / median;
        surged = median !== 0 && ratio >= config.ratio;
        if (surged && !previousSurged) {
          events.push(i);
          ratios.push(ratio);
          medians.push(median);
          seriesOf.push(k);
        }
      }
      previousSurged = surged;
      // Slide the frame: drop the window leaving it, insert this one (kept sorted).
      if (n === w) remove(frame, n--, volumes[i - w]);
      insert(frame, n++, volumes[i]);
    }
  }
  const wsWidth = read.windowStart.width;
  const volumeWidth = read.raw.volume_raw.width;
  const windowStart = new Uint8Array(events.length * wsWidth);
  const volume = new Uint8Array(events.length * volumeWidth);
  events.forEach((i, e) => {
    windowStart.set(read.windowStart.bytes.subarray(i * wsWidth, (i + 1) * wsWidth), e * wsWidth);
    volume.set(read.raw.volume_raw.bytes.subarray(i * volumeWidth, (i + 1) * volumeWidth), e * volumeWidth);
  });
  return {
    keys: read.keys,
    series: Int32Array.from(seriesOf),
    windowStart,
    ratio: Float64Array.from(ratios),
    median: Float64Array.from(medians),
    volume,
    windowStartType: read.windowStart.type,
    volumeType: read.raw.volume_raw.type,
  };
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
