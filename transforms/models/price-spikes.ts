/**
 * gold/alerts' price spikes: the windows whose log return lies at least `zScore` standard
 * deviations from the mean of the series' previous `window` returns (a full frame of returns),
 * each event once (the window right after a spike, its reversal, is the same event). The frame
 * statistics are DuckDB's own to the bit (window-stats.ts), so z, mean and sd are the doubles the
 * SQL computed: `(log_return - mean) / NULLIF(sd, 0)`.
 */
import type { GoldConfig } from '../config.ts';
import type { IndicatorSeries } from './indicator-series.ts';
import { PrecedingFrames } from './window-stats.ts';

export interface SpikeEvents {
  /** The rows (of the series read) raising a spike, with their z-score and frame statistics. */
  readonly rows: number[];
  readonly z: number[];
  readonly mean: number[];
  readonly sd: number[];
}

/**
 * The spike events of the series `chosen` picks; `logReturn` is the series' log_return column
 * (NaN for NULL). Running sums over the frame find the candidates (an approximate z within a
 * millionth of the threshold, or a frame too flat for the sums to tell); only those get DuckDB's
 * exact statistics (a window's frame holds 60 rows by default: reproducing each is most of the cost).
 */
export function priceSpikes(read: IndicatorSeries, logReturn: Float64Array, config: GoldConfig['priceSpike'], chosen: (series: number) => boolean): SpikeEvents {
  const w = config.window;
  const out: SpikeEvents = { rows: [], z: [], mean: [], sd: [] };
  const screen = config.zScore * (1 - 1e-6);
  for (let k = 0; k < read.keys.length; k++) {
    if (!chosen(k)) continue;
    const a = read.bounds[k];
    const b = read.bounds[k + 1];
    let frames: PrecedingFrames | undefined;
    let previousSpiked = false;
    // The frame's values (NULLs left out): count, sum and sum of squares, recomputed every 1,024 rows so that rounding does not drift.
    let n = 0;
    let sum = 0;
    let squares = 0;
    for (let i = a; i < b; i++) {
      if ((i - a) % 1024 === 0) {
        n = 0;
        sum = 0;
        squares = 0;
        for (let j = Math.max(a, i - w); j < i; j++) {
          const x = logReturn[j];
          if (x === x) {
            n++;
            sum += x;
            squares += x * x;
          }
        }
      }
      let spiked = false;
      const x = logReturn[i];
      if (n === w && x === x) {
        const mean = sum / n;
        const variance = (squares - sum * mean) / (n - 1);
        const candidate = !(variance > 1e-9 * (squares / n)) || Math.abs(x - mean) >= screen * Math.sqrt(variance);
        if (candidate) {
          frames ??= new PrecedingFrames(logReturn, a, b, w);
          const s = frames.at(i);
          const z = (x - s.mean) / s.sd;
          // A zero deviation raises nothing (NULLIF(sd, 0)), nor does a frame short of values.
          spiked = s.count === w && s.sd !== 0 && Math.abs(z) >= config.zScore;
          if (spiked && !previousSpiked) {
            out.rows.push(i);
            out.z.push(z);
            out.mean.push(s.mean);
            out.sd.push(s.sd);
          }
        }
      }
      previousSpiked = spiked;
      // Slide the frame: the row leaving it out, this one in.
      if (i - w >= a) {
        const gone = logReturn[i - w];
        if (gone === gone) {
          n--;
          sum -= gone;
          squares -= gone * gone;
        }
      }
      if (x === x) {
        n++;
        sum += x;
        squares += x * x;
      }
    }
  }
  return out;
}
