import { describe, expect, it } from 'vitest';
import { computeSeries, OUTPUT_COLUMNS, WARM_BARS, type OutputColumn, type SeriesState } from './ta.ts';

/** A random walk of closes with 8 decimals (DECIMAL(18,8), as silver stores them), from a seed. */
function closes(n: number, seed: number): Float64Array {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const out = new Float64Array(n);
  let units = 6_000_000_000_000; // 60,000.00000000
  for (let i = 0; i < n; i++) {
    units += Math.round((next() - 0.5) * 5_000_000_000);
    out[i] = units / 1e8;
  }
  return out;
}

function compute(close: Float64Array, start = 0, state?: SeriesState) {
  const n = close.length - start;
  const columns = Object.fromEntries(OUTPUT_COLUMNS.map((c) => [c, new Float64Array(n).fill(NaN)])) as Record<OutputColumn, Float64Array>;
  const isWarm = new Uint8Array(n);
  // (High and low: the close ± a spread, enough for the true range.)
  const high = close.map((x) => x + 1);
  const low = close.map((x) => x - 1);
  computeSeries(close, high, low, start, state, 525_600, { columns, isWarm, at: 0 });
  return { columns, isWarm };
}

/** The state after bar i of a computation from bar 0, as gold keeps it. */
function stateAt(full: ReturnType<typeof compute>, i: number): SeriesState {
  const c = full.columns;
  return { ema12: c.ema_12[i], ema26: c.ema_26[i], macdEmaFast: c.macd_ema_fast[i], macdSignal: c.macd_signal[i], rsiAvgGain: c.rsi_avg_gain[i], rsiAvgLoss: c.rsi_avg_loss[i], atr14: c.atr_14[i] };
}

const sameBits = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('computeSeries', () => {
  it('gives the SMAs as the exact mean of their window, correctly rounded', () => {
    const close = closes(1_000, 7);
    const { columns } = compute(close);
    const units = Array.from(close, (x) => BigInt(Math.round(x * 1e8)));
    for (const [width, column] of [[20, 'sma_20'], [50, 'sma_50'], [200, 'sma_200']] as const) {
      expect(columns[column][width - 2]).toBeNaN();
      for (let i = width - 1; i < close.length; i++) {
        const sum = units.slice(i - width + 1, i + 1).reduce((a, b) => a + b, 0n);
        expect(columns[column][i], `${column} at ${i}`).toBe(Number(sum) / (width * 1e8));
      }
    }
  });

  it('sums a window in order where a close is no exact number of units (too large, or more than 8 decimals)', () => {
    const close = closes(600, 11);
    close[300] = 500_000.12345678; // units beyond what a window sums exactly
    close[450] = 61_234.123456789; // 9 decimals
    const { columns } = compute(close);
    const inOrder = (i: number, width: number) => {
      let s = 0;
      for (let j = i - width + 1; j <= i; j++) s += close[j];
      return s / width;
    };
    for (const i of [300, 319, 450, 469]) expect(columns.sma_20[i], `sma_20 at ${i}`).toBe(inOrder(i, 20));
    // Once the close has left the window, the sum is exact again.
    const exact = (i: number, width: number) => Number(Array.from(close.subarray(i - width + 1, i + 1), (x) => BigInt(Math.round(x * 1e8))).reduce((a, b) => a + b, 0n)) / (width * 1e8);
    for (const i of [320, 470]) expect(columns.sma_20[i], `sma_20 at ${i}`).toBe(exact(i, 20));
    for (const i of [349, 499]) expect(columns.sma_50[i], `sma_50 at ${i}`).toBe(inOrder(i, 50));
    expect(columns.sma_200[499]).toBe(inOrder(499, 200));
  });

  it('continues from a warm bar to the same bits as one computation from the first bar', () => {
    const close = closes(2_000, 3);
    close[900] = 500_000.5; // windows that fall back to sums in order, on both sides of a start
    close[1_400] = 59_000.000000001;
    const full = compute(close);
    for (const start of [WARM_BARS, 905, 1_000, 1_410, 1_999]) {
      const continued = compute(close, start, stateAt(full, start - 1));
      for (const c of OUTPUT_COLUMNS) {
        for (let i = start; i < close.length; i++) {
          if (!sameBits(continued.columns[c][i - start], full.columns[c][i])) {
            throw new Error(`${c} at bar ${i} (continued from ${start}): ${continued.columns[c][i - start]} vs ${full.columns[c][i]}`);
          }
        }
      }
      expect(Array.from(continued.isWarm)).toEqual(Array.from(full.isWarm.subarray(start)));
    }
  });
});
