/**
 * The indicator arithmetic over one series of candles, following TA-Lib (its C source,
 * TA_COMPATIBILITY_DEFAULT, no unstable period) operation for operation so that the results
 * agree with TA-Lib's to the last bits where the computation is recursive:
 *
 * - EMA(n): seeded with the mean of the first n values (summed in order), first value at bar
 *   n-1, then `prev = (x - prev) * k + prev` with k = 2 / (n + 1).
 * - MACD(12, 26, 9): TA-Lib seeds the fast EMA at bar 25 (so that both EMAs start together) with
 *   the mean of bars 14..25, not at bar 11; the signal is an EMA(9) of the MACD line seeded with
 *   the mean of bars 25..33; line and signal are NaN before bar 33. (TA-Lib's histogram, line
 *   minus signal, and its Bollinger middle band, the SMA 20, are not computed here: the
 *   indicators model derives both where it stores the rows.)
 * - RSI(14) and ATR(14): Wilder's smoothing, seeded with plain means of the first 14 changes /
 *   true ranges, first value at bar 14; `avg = (avg * (n - 1) + x) / n` in that order.
 * - SMA: the exact mean of the window's closes, correctly rounded. Closes are DECIMAL(18,8), so
 *   in units of 1e-8 they are integers, which a running sum adds exactly (exactWindowSums);
 *   TA-Lib's running sum of doubles drifts a few units in the last place. A window holding a
 *   close that is no exact integer of units (a price above ~450,000) is summed in order instead.
 * - Bollinger (population standard deviation) and the realised volatility: each window is summed
 *   afresh, in order (TA-Lib keeps running sums of squares).
 * Either way a window's value never depends on where a computation started: an incremental
 * build equals a full one bit for bit.
 *
 * A computation either starts at the series' first bar, or continues after a warm bar from its
 * recorded state (`SeriesState`) with the bars before `start` as history for the windows.
 */

export interface SeriesState {
  readonly ema12: number;
  readonly ema26: number;
  /** The fast EMA inside MACD (seeded differently from ema_12, see above). */
  readonly macdEmaFast: number;
  readonly macdSignal: number;
  readonly rsiAvgGain: number;
  readonly rsiAvgLoss: number;
  readonly atr14: number;
}

export const OUTPUT_COLUMNS = [
  'sma_20',
  'sma_50',
  'sma_200',
  'ema_12',
  'ema_26',
  'macd',
  'macd_signal',
  'rsi_14',
  'bb_upper',
  'bb_lower',
  'atr_14',
  'log_return',
  'realized_vol',
  'macd_ema_fast',
  'rsi_avg_gain',
  'rsi_avg_loss',
] as const;
export type OutputColumn = (typeof OUTPUT_COLUMNS)[number];

/**
 * Where a computation writes: one array per column and `isWarm`, bar `start + o` at index
 * `at + o`; columns stay NaN where the indicator is not warm yet (the caller fills them with NaN).
 */
export interface SeriesTarget {
  readonly columns: Readonly<Record<OutputColumn, Float64Array>>;
  readonly isWarm: Uint8Array;
  readonly at: number;
}

/** Bars before every indicator has its full history (SMA 200 is the longest). */
export const WARM_BARS = 200;
const RSI_N = 14;
const ATR_N = 14;
const MACD_FAST = 12;
const MACD_SLOW = 26;
const MACD_SIGNAL = 9;
const MACD_LINE_START = MACD_SLOW - 1; // 25
const MACD_OUT_START = MACD_LINE_START + MACD_SIGNAL - 1; // 33
const REALIZED_VOL_N = 20;

const perToK = (n: number) => 2.0 / (n + 1);
/** TA-Lib's TA_IS_ZERO. */
const isZero = (v: number) => -0.00000001 < v && v < 0.00000001;

function sma(x: Float64Array, i: number, n: number): number {
  if (i < n - 1) return NaN;
  let s = 0;
  for (let j = i - n + 1; j <= i; j++) s += x[j];
  return s / n;
}

function trueRange(high: Float64Array, low: Float64Array, close: Float64Array, i: number): number {
  let out = high[i] - low[i];
  const a = Math.abs(high[i] - close[i - 1]);
  if (a > out) out = a;
  const b = Math.abs(low[i] - close[i - 1]);
  if (b > out) out = b;
  return out;
}

/**
 * Computes bars `start`..n-1 of a series into `target`. Without `state`, `start` must be 0 (the
 * series' first bar). With `state` (the state after bar start-1, which was warm), bars before
 * `start` are history: at least WARM_BARS of them for the windows to be complete.
 * `periodsPerYear` annualises the realised volatility.
 */
export function computeSeries(close: Float64Array, high: Float64Array, low: Float64Array, start: number, state: SeriesState | undefined, periodsPerYear: number, target: SeriesTarget): void {
  const n = close.length;
  if (state && start < WARM_BARS) throw new Error(`computeSeries: continuing needs ${WARM_BARS} bars of history, got ${start}`);
  if (!state && start !== 0) throw new Error('computeSeries: without a state the computation starts at bar 0');
  // The target's arrays as locals: the loop below indexes them per bar.
  const { sma_20: sma20, sma_50: sma50, sma_200: sma200, ema_12: outEma12, ema_26: outEma26, macd: outMacd, macd_signal: outSignal } = target.columns;
  const { rsi_14: outRsi, bb_upper: bbUpper, bb_lower: bbLower, atr_14: outAtr, log_return: outLogReturn, realized_vol: outVol } = target.columns;
  const { macd_ema_fast: outFast, rsi_avg_gain: outGain, rsi_avg_loss: outLoss } = target.columns;
  const isWarm = target.isWarm;
  const shift = target.at - start;

  const k12 = perToK(12);
  const k26 = perToK(26);
  const k9 = perToK(MACD_SIGNAL);
  const kFast = perToK(MACD_FAST);
  let ema12 = state?.ema12 ?? NaN;
  let ema26 = state?.ema26 ?? NaN;
  let fast = state?.macdEmaFast ?? NaN;
  let signal = state?.macdSignal ?? NaN;
  let avgGain = state?.rsiAvgGain ?? NaN;
  let avgLoss = state?.rsiAvgLoss ?? NaN;
  let atr = state?.atr14 ?? NaN;
  // Seeds (only when starting at bar 0).
  let gainSum = 0;
  let lossSum = 0;
  let trSum = 0;
  let macdSeedSum = 0;
  const logReturns = new Float64Array(n).fill(NaN);
  for (let i = 1; i < n; i++) logReturns[i] = Math.log(close[i] / close[i - 1]);
  const volFactor = Math.sqrt(periodsPerYear);
  // The SMAs' window sums, exact (exactWindowSums): a value depends on its window's closes
  // alone, so an incremental build that starts from a later bar computes the same bits as a full
  // one. SMA 200 adds four SMA 50 window sums (3 additions, not 200).
  const units = closeUnits(close);
  const sum20 = exactWindowSums(units, 20, start);
  const from50 = Math.max(49, start - 150);
  const sum50 = exactWindowSums(units, 50, from50);

  for (let i = start; i < n; i++) {
    const o = i + shift;
    const x = close[i];
    // Windows (a window holding a close that is no exact integer of units: summed in order).
    const s20 = sum20[i];
    const mid = s20 === s20 ? s20 / (20 * UNITS) : sma(close, i, 20);
    sma20[o] = mid;
    const s50 = sum50[i];
    sma50[o] = s50 === s50 ? s50 / (50 * UNITS) : sma(close, i, 50);
    // (Guarded: the sum reads the window sums 150 bars back.)
    if (i >= 199) {
      const s200 = sum50[i] + sum50[i - 50] + sum50[i - 100] + sum50[i - 150];
      sma200[o] = s200 === s200 ? s200 / (200 * UNITS) : sma(close, i, 200);
    } else sma200[o] = NaN;
    if (!Number.isNaN(mid)) {
      let ss = 0;
      for (let j = i - 19; j <= i; j++) {
        const d = close[j] - mid;
        ss += d * d;
      }
      const dev = 2 * Math.sqrt(ss / 20);
      bbUpper[o] = mid + dev;
      bbLower[o] = mid - dev;
    }
    outLogReturn[o] = logReturns[i];
    if (i >= REALIZED_VOL_N) {
      let mean = 0;
      for (let j = i - REALIZED_VOL_N + 1; j <= i; j++) mean += logReturns[j];
      mean /= REALIZED_VOL_N;
      let ss = 0;
      for (let j = i - REALIZED_VOL_N + 1; j <= i; j++) ss += (logReturns[j] - mean) * (logReturns[j] - mean);
      outVol[o] = Math.sqrt(ss / (REALIZED_VOL_N - 1)) * volFactor;
    }

    // EMA 12 / 26.
    if (state || i > 11) ema12 = (x - ema12) * k12 + ema12;
    else if (i === 11) ema12 = meanOf(close, 0, 11);
    if (state || i > 25) ema26 = (x - ema26) * k26 + ema26;
    else if (i === 25) ema26 = meanOf(close, 0, 25);
    outEma12[o] = ema12;
    outEma26[o] = ema26;

    // MACD.
    if (state || i > MACD_LINE_START) fast = (x - fast) * kFast + fast;
    else if (i === MACD_LINE_START) fast = meanOf(close, MACD_LINE_START - MACD_FAST + 1, MACD_LINE_START);
    outFast[o] = fast;
    if (state || i >= MACD_LINE_START) {
      const line = fast - ema26;
      if (state || i > MACD_OUT_START) signal = (line - signal) * k9 + signal;
      else {
        macdSeedSum += line;
        if (i === MACD_OUT_START) signal = macdSeedSum / MACD_SIGNAL;
      }
      if (state || i >= MACD_OUT_START) {
        outMacd[o] = line;
        outSignal[o] = signal;
      }
    }

    // RSI (Wilder).
    if (i >= 1) {
      const change = x - close[i - 1];
      if (state || i > RSI_N) {
        avgLoss *= RSI_N - 1;
        avgGain *= RSI_N - 1;
        if (change < 0) avgLoss -= change;
        else avgGain += change;
        avgLoss /= RSI_N;
        avgGain /= RSI_N;
      } else {
        if (change < 0) lossSum -= change;
        else gainSum += change;
        if (i === RSI_N) {
          avgLoss = lossSum / RSI_N;
          avgGain = gainSum / RSI_N;
        }
      }
      if (state || i >= RSI_N) {
        const total = avgGain + avgLoss;
        outRsi[o] = isZero(total) ? 0.0 : 100.0 * (avgGain / total);
        outGain[o] = avgGain;
        outLoss[o] = avgLoss;
      }

      // ATR (Wilder).
      const tr = trueRange(high, low, close, i);
      if (state || i > ATR_N) {
        atr *= ATR_N - 1;
        atr += tr;
        atr /= ATR_N;
      } else {
        trSum += tr;
        if (i === ATR_N) atr = trSum / ATR_N;
      }
      if (state || i >= ATR_N) outAtr[o] = atr;
    }
    isWarm[o] = state || i >= WARM_BARS - 1 ? 1 : 0;
  }
}

/** Units of a close: DECIMAL(18,8), so a close times 1e8 is an integer. */
const UNITS = 1e8;
/** Integers of units below this sum exactly over a window of up to WARM_BARS (2^53 / 200: a price below ~450,000). */
const EXACT_UNITS = 2 ** 53 / WARM_BARS;

/**
 * Each close in units (an integer), or NaN where that integer is not exact: a close that is not
 * a whole number of units as a double, or too large for a window's sum of them to be exact.
 */
function closeUnits(close: Float64Array): Float64Array {
  const units = new Float64Array(close.length);
  for (let j = 0; j < close.length; j++) {
    const u = Math.round(close[j] * UNITS);
    units[j] = u / UNITS === close[j] && Math.abs(u) < EXACT_UNITS ? u : NaN;
  }
  return units;
}

/**
 * The sums of the windows of `width` units ending at bars `from`..n-1 (NaN before a window is
 * full or where it holds a NaN unit). Exact: sums of integers below EXACT_UNITS are integers
 * below 2^53, which a double holds exactly, so a running sum (one addition and one subtraction
 * a bar, not `width` additions) is the window's own sum whatever bar it started from; it starts
 * afresh after a window that held a NaN.
 */
function exactWindowSums(units: Float64Array, width: number, from: number): Float64Array {
  const n = units.length;
  const sums = new Float64Array(n).fill(NaN);
  let running = NaN;
  for (let i = Math.max(from, width - 1); i < n; i++) {
    if (running === running) running += units[i] - units[i - width];
    else {
      running = 0;
      for (let j = i - width + 1; j <= i; j++) running += units[j];
    }
    sums[i] = running;
  }
  return sums;
}

/** Mean of x[from..to] (inclusive), summed in order like TA-Lib's seeds. */
function meanOf(x: Float64Array, from: number, to: number): number {
  let s = 0;
  for (let j = from; j <= to; j++) s += x[j];
  return s / (to - from + 1);
}
