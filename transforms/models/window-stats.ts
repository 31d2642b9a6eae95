/**
 * `avg`, `stddev_samp` and `count` of a column over each row's frame of the `window` rows before
 * it in its series (`ROWS BETWEEN window PRECEDING AND 1 PRECEDING`), to the bit as DuckDB's
 * window operator computes them, so that gold/alerts' price spikes (their z-scores, means and
 * standard deviations) stay the numbers the SQL computed before, without DuckDB's sort.
 *
 * DuckDB (1.5) evaluates such a frame on a segment tree per partition (fanout 16: a node of
 * level l aggregates 16 nodes of level l - 1, level 0 being the rows), these aggregates taking
 * its order-preserving path: the frame's ragged left rows one by one, the whole nodes inside it
 * level by level (left parts rising, right parts descending), then its ragged right rows. The
 * states are Welford's (count, mean, M2) for the deviation, combined with Chan's formula (the mean
 * by a fused multiply-add), and a plain sum for the mean. NULL (NaN here) rows count for nothing.
 * window-stats.test.ts holds this against DuckDB.
 */
import { fma } from './exact-fma.ts';

const FANOUT = 16;

export interface FrameStats {
  /** avg over the frame; NaN where the frame holds no value (SQL NULL). */
  readonly mean: Float64Array;
  /** stddev_samp over the frame; NaN below two values. */
  readonly sd: Float64Array;
  /** count of the frame's values (not NULL). */
  readonly count: Int32Array;
}

/** A node's (or a frame's) aggregate state: count, Welford's mean and M2, and the plain sum. */
class States {
  readonly count: Float64Array;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  readonly sum: Float64Array;
  constructor(n: number) {
    this.count = new Float64Array(n);
    this.mean = new Float64Array(n);
    this.m2 = new Float64Array(n);
    this.sum = new Float64Array(n);
  }

  /** Adds a row's value to state `t` (DuckDB's update). */
  update(t: number, x: number): void {
    if (x !== x) return;
    const count = ++this.count[t];
    const mean = this.mean[t];
    const next = mean + (x - mean) / count;
    this.m2[t] += (x - next) * (x - mean);
    this.mean[t] = next;
    this.sum[t] += x;
  }

  /** Combines state `s` of `from` into state `t` (DuckDB's combine). */
  combine(from: States, s: number, t: number): void {
    this.sum[t] += from.sum[s];
    const sc = from.count[s];
    const tc = this.count[t];
    if (tc === 0) {
      this.count[t] = sc;
      this.mean[t] = from.mean[s];
      this.m2[t] = from.m2[s];
      return;
    }
    if (sc === 0) return;
    const total = tc + sc;
    const delta = from.mean[s] - this.mean[t];
    const mean = fma(sc / total, delta, this.mean[t]);
    this.m2[t] = from.m2[s] + this.m2[t] + (delta * delta * sc * tc) / total;
    this.mean[t] = mean;
    this.count[t] = total;
  }

  reset(t: number): void {
    this.count[t] = 0;
    this.mean[t] = 0;
    this.m2[t] = 0;
    this.sum[t] = 0;
  }
}

/**
 * The frames of one series (rows start..end-1 of `values`): the tree's node states built once,
 * then any row's frame statistics on demand (the price spikes ask for a few rows only).
 */
export class PrecedingFrames {
  private readonly levels: States[] = [];
  private readonly frame = new States(1);
  private readonly right: number[] = [];

  constructor(
    private readonly values: Float64Array,
    private readonly start: number,
    private readonly end: number,
    private readonly window: number,
  ) {
    // The levels whose nodes fit in a frame (a node of level l spans 16^l rows).
    for (let span = FANOUT, below = end - start; span <= window && below > 1; span *= FANOUT) {
      const size = Math.ceil(below / FANOUT);
      const level = new States(size);
      const children = this.levels[this.levels.length - 1];
      for (let j = 0; j < size; j++) {
        for (let c = j * FANOUT; c < Math.min(below, (j + 1) * FANOUT); c++) {
          if (children) level.combine(children, c, j);
          else level.update(j, values[start + c]);
        }
      }
      this.levels.push(level);
      below = size;
    }
  }

  /** The statistics of row `i`'s frame (i from start to end - 1). */
  at(i: number): { count: number; mean: number; sd: number } {
    const { frame, levels, right, values } = this;
    const a = this.start;
    const end = i - a;
    const begin = Math.max(0, end - this.window);
    frame.reset(0);
    const pb = Math.floor(begin / FANOUT);
    const pe = Math.floor(end / FANOUT);
    if (pb === pe) {
      for (let r = begin; r < end; r++) frame.update(0, values[a + r]);
    } else {
      for (let r = begin; r < (begin === pb * FANOUT ? begin : (pb + 1) * FANOUT); r++) frame.update(0, values[a + r]);
      // Whole nodes, level by level: each level's left part as it rises, its right parts after, from the top down.
      right.length = 0;
      let lo = begin;
      let hi = end;
      for (let l = 0; ; l++) {
        let parentLo = Math.floor(lo / FANOUT);
        const parentHi = Math.floor(hi / FANOUT);
        if (parentLo === parentHi) {
          if (l > 0) for (let j = lo; j < hi; j++) frame.combine(levels[l - 1], j, 0);
          break;
        }
        if (lo !== parentLo * FANOUT) {
          if (l > 0) for (let j = lo; j < (parentLo + 1) * FANOUT; j++) frame.combine(levels[l - 1], j, 0);
          parentLo++;
        }
        if (hi !== parentHi * FANOUT && l > 0) right.push(l, parentHi * FANOUT, hi);
        lo = parentLo;
        hi = parentHi;
      }
      for (let e = right.length - 3; e >= 0; e -= 3) for (let j = right[e + 1]; j < right[e + 2]; j++) frame.combine(levels[right[e] - 1], j, 0);
      for (let r = pe * FANOUT; r < end; r++) frame.update(0, values[a + r]);
    }
    const c = frame.count[0];
    return { count: c, mean: c > 0 ? frame.sum[0] / c : NaN, sd: c > 1 ? Math.sqrt(frame.m2[0] / (c - 1)) : NaN };
  }
}

/** Every row's frame statistics, series by series (`bounds`: series k is rows bounds[k]..bounds[k + 1] - 1). */
export function precedingFrameStats(values: Float64Array, bounds: Int32Array, window: number): FrameStats {
  const rows = values.length;
  const mean = new Float64Array(rows);
  const sd = new Float64Array(rows);
  const count = new Int32Array(rows);
  for (let k = 0; k + 1 < bounds.length; k++) {
    const frames = new PrecedingFrames(values, bounds[k], bounds[k + 1], window);
    for (let i = bounds[k]; i < bounds[k + 1]; i++) {
      const s = frames.at(i);
      count[i] = s.count;
      mean[i] = s.mean;
      sd[i] = s.sd;
    }
  }
  return { mean, sd, count };
}
