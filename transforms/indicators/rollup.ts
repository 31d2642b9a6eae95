/**
 * 4h and 1d candles rolled up from one series' 1h candles, aligned to 00:00 UTC like Binance's,
 * by the rule of candles-sql.ts (`goldCandlesSql`, the SQL the rest of gold and the API use): a
 * window's high and low come from its hours that had trades only (an empty hour carries the
 * previous close, which was not traded in the window), falling back to the close when none had;
 * its close is its last hour's; volume and quote volume are summed exactly (128-bit decimals).
 * The indicators model rolls up in TypeScript from the 1h rows it has already read, rather than
 * reading silver a second time. A test checks the two agree (indicators.rollup.test.ts).
 */

export interface HourRows {
  /** Indices (into the columns below) of the series' 1h rows, in window order. */
  readonly rows: readonly number[] | Int32Array;
  readonly windowStartUs: Float64Array;
  readonly tradeCount: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  /** Exact DECIMAL(38, s) volume and quote volume of row i. */
  volumeAt(i: number): bigint;
  quoteVolumeAt(i: number): bigint;
}

export interface RolledWindow {
  readonly windowStartUs: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** The row (of the 1h columns) whose close is the window's: its decimal close is the window's. */
  readonly lastRow: number;
  readonly volume: bigint;
  readonly quoteVolume: bigint;
}

/** The windows of `bucketUs` (4h or 1d) over the 1h rows, in window order. */
export function rollUpHours(h: HourRows, bucketUs: number): RolledWindow[] {
  const out: RolledWindow[] = [];
  let k = 0;
  const rows = h.rows;
  while (k < rows.length) {
    const start = Math.floor(h.windowStartUs[rows[k]] / bucketUs) * bucketUs;
    let high = -Infinity;
    let low = Infinity;
    let traded = false;
    let volume = 0n;
    let quoteVolume = 0n;
    let last = rows[k];
    for (; k < rows.length && Math.floor(h.windowStartUs[rows[k]] / bucketUs) * bucketUs === start; k++) {
      const i = rows[k];
      if (h.tradeCount[i] > 0) {
        traded = true;
        if (h.high[i] > high) high = h.high[i];
        if (h.low[i] < low) low = h.low[i];
      }
      volume += h.volumeAt(i);
      quoteVolume += h.quoteVolumeAt(i);
      last = i;
    }
    const close = h.close[last];
    out.push({ windowStartUs: start, high: traded ? high : close, low: traded ? low : close, close, lastRow: last, volume, quoteVolume });
  }
  return out;
}
