/**
 * `gold/indicators` (TypeScript: EMA, MACD, Wilder's RSI and ATR are recursions, and DuckDB has
 * no EMA). Per exchange × symbol × interval series: SMA 20/50/200, EMA 12/26, MACD 12/26/9, RSI 14,
 * Bollinger 20/2, ATR 14 with TA-Lib's conventions (indicators/ta.ts), the log return, realised
 * volatility (sample sd of the last 20 log returns, annualised over 365 days) and the session
 * VWAP (since 00:00 UTC). Values are NULL until warm; `is_warm` once every indicator is.
 *
 * Incremental: a recursion carries all history, so a change on date D changes every later date
 * of that symbol (`affected`). The computation continues from the last gold row before D (its
 * EMAs, Wilder averages and MACD state are columns; the inner state only on each series' last
 * window of a day, which that row always is) with the 199 rows before it as the windows'
 * history, so an incremental build equals a full one; a series not yet warm before D is
 * recomputed from its first candle.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseStats, sqlLiteral, queryJson, type AddAction, type LakeColumn, type TableDefinition } from '../../lake/index.ts';
import { computeSeries, OUTPUT_COLUMNS, WARM_BARS, type OutputColumn, type SeriesState } from '../indicators/ta.ts';
import { appendColumns, asInt32, bigintToDouble, decimalScale, int128At, rawColumn, readRawColumns, setInt128, toDoubles, type AppendColumn, type RawColumn } from '../indicators/columnar.ts';
import { rollUpHours, type RolledWindow } from '../indicators/rollup.ts';
import type { BuildContext, Model } from '../model.ts';
import { profiler } from '../profile.ts';
import { addDays, dedupePartitions, type Partition, type PartitionSet } from '../partitions.ts';
import { GOLD_INTERVALS, INTERVAL_MINUTES, type GoldInterval } from './candles-sql.ts';
import { MONTH_COLUMN, filesHolding, monthColumn } from '../month-partitions.ts';

/** The state column holding each series' window history (see readHistory). */
const HISTORY_CLOSES = 'history_closes';

const d = (name: string, comment?: string) => ({ name, type: 'double' as const, ...(comment ? { comment } : {}) });

export const GOLD_INDICATORS: TableDefinition = {
  name: 'gold/indicators',
  description: 'Technical indicators per exchange, symbol, interval and window, with TA-Lib conventions; NULL until warm.',
  columns: [
    { name: 'exchange', type: 'string', nullable: false },
    { name: 'symbol', type: 'string', nullable: false },
    { name: 'interval', type: 'string', nullable: false, comment: '1m | 5m | 15m | 1h | 4h | 1d' },
    { name: 'window_start', type: 'timestamp', nullable: false },
    { name: 'close', type: 'decimal(18,8)', nullable: false },
    { name: 'volume', type: 'decimal(38,8)', nullable: false },
    d('vwap', 'session VWAP since 00:00 UTC (quote volume / volume); NULL while the session has no volume'),
    d('sma_20'),
    d('sma_50'),
    d('sma_200'),
    d('ema_12'),
    d('ema_26'),
    d('macd', 'EMA 12 - EMA 26 (TA-Lib MACD: NULL for the first 33 windows)'),
    d('macd_signal'),
    d('macd_hist'),
    d('rsi_14', "Wilder's RSI"),
    d('bb_upper', 'SMA 20 + 2 population standard deviations'),
    d('bb_middle'),
    d('bb_lower'),
    d('atr_14', "Wilder's average true range"),
    d('log_return', 'ln(close / previous close)'),
    d('realized_vol', 'sample sd of the last 20 log returns, annualised over 365 days'),
    { name: 'is_warm', type: 'boolean', nullable: false, comment: 'every indicator has its full history (200 windows)' },
    { name: 'computed_at', type: 'timestamp', nullable: false },
    d('macd_ema_fast', "state: the fast EMA inside MACD (TA-Lib seeds it at window 25), so incremental builds continue exactly; on each series' last window of a day only"),
    d('rsi_avg_gain', "state: Wilder's average gain; on each series' last window of a day only"),
    d('rsi_avg_loss', "state: Wilder's average loss; on each series' last window of a day only"),
    {
      name: HISTORY_CLOSES,
      type: 'string',
      comment: "state: the series' last 200 closes up to this window (base64 of little-endian float64s, oldest first), so that an hourly build reads one day's file, not 201; on each warm series' last window of a day only",
    },
    { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(window_start)) AS DATE)` },
    monthColumn(),
  ],
  // A month a partition, its newest month a file a day (month-partitions.ts): a year is ~40
  // files, not 366, and an hourly build still replaces one day's file.
  partitionColumns: ['symbol', MONTH_COLUMN],
};

/** The columns the build computes: all but `month`, which only partitions the files (the writer derives it). */
const BUILT_COLUMNS = GOLD_INDICATORS.columns.filter((c) => c.name !== MONTH_COLUMN);

/**
 * The build's columns DuckDB computes from the others whenever the rows are read (VIRTUAL
 * generated columns of the build's table, their expressions given the run's time), so they are
 * neither computed in TypeScript nor appended: the append holds Node's thread ~20 ns a value (a
 * year: ~0.4 s for 679k rows), and these are a seventh of them. TA-Lib's Bollinger middle band is
 * its SMA 20 and its MACD histogram the line minus the signal (the TA-Lib fixtures check both as
 * gold stores them); the date is the window's UTC day; computed_at is the run's.
 */
const GENERATED_COLUMNS: Readonly<Record<string, (nowUs: number) => string>> = {
  bb_middle: () => 'sma_20',
  macd_hist: () => 'macd - macd_signal',
  date: () => GOLD_INDICATORS.columns.find((c) => c.name === 'date')!.derivedFrom!,
  computed_at: (nowUs) => `make_timestamptz(${Math.round(nowUs)}::BIGINT)`,
};
/** The build's columns the computation appends: all but the generated ones. */
const APPENDED_COLUMNS = BUILT_COLUMNS.filter((c) => !(c.name in GENERATED_COLUMNS));

const STATE_COLUMNS = ['ema_12', 'ema_26', 'macd_ema_fast', 'macd_signal', 'rsi_avg_gain', 'rsi_avg_loss', 'atr_14'] as const;
type StateColumn = (typeof STATE_COLUMNS)[number];
/** A series' recursion state from its state columns' values (gold's column names → SeriesState). */
const seriesState = (value: (c: StateColumn) => number): SeriesState => ({
  ema12: value('ema_12'),
  ema26: value('ema_26'),
  macdEmaFast: value('macd_ema_fast'),
  macdSignal: value('macd_signal'),
  rsiAvgGain: value('rsi_avg_gain'),
  rsiAvgLoss: value('rsi_avg_loss'),
  atr14: value('atr_14'),
});
/** State columns that are no indicator of their own: stored on each series' last window of a day only. */
const INNER_STATE_COLUMNS = ['macd_ema_fast', 'rsi_avg_gain', 'rsi_avg_loss'] as const;
const PERIODS_PER_YEAR = (iv: GoldInterval) => (365 * 1440) / INTERVAL_MINUTES[iv];
/** Days of history that hold WARM_BARS windows of the longest interval (1d), plus slack. */
const HISTORY_DAYS = WARM_BARS + 1;

async function symbolsOf(conn: DuckDBConnection, partitions: PartitionSet): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  if (partitions === 'all') {
    for (const r of await queryJson(conn, `SELECT DISTINCT symbol FROM silver_candles_all_revisions ORDER BY 1`)) out.set(String(r.symbol), undefined);
    return out;
  }
  let every: string[] | undefined;
  for (const p of partitions) {
    if (!p.date) throw new Error(`indicators: partition ${JSON.stringify(p)} lacks a date`);
    // A date alone (a full build restricted to --from/--to): every symbol, from that date on.
    every ??= p.symbol ? undefined : (await queryJson(conn, `SELECT DISTINCT symbol FROM silver_candles_all_revisions ORDER BY 1`)).map((r) => String(r.symbol));
    for (const symbol of p.symbol ? [p.symbol] : every!) {
      const prev = out.get(symbol);
      if (prev === undefined || p.date < prev) out.set(symbol, p.date);
    }
  }
  return out;
}

/** The intervals read from silver as they are; 4h and 1d are rolled up from the 1h rows (indicators/rollup.ts). */
const DIRECT_INTERVALS = ['1m', '5m', '15m', '1h'] as const;
const ROLLED_UP: Partial<Record<GoldInterval, number>> = { '4h': 4 * 3_600_000_000, '1d': 86_400_000_000 };
const HOUR = GOLD_INTERVALS.indexOf('1h');
const ROLLED_UP_CODES = Object.keys(ROLLED_UP).map((iv) => GOLD_INTERVALS.indexOf(iv as GoldInterval));
const DAY_US = 86_400_000_000;
/** Decimal columns pass from silver to gold bit for bit: their types must agree. */
const CLOSE_TYPE = 'DECIMAL(18,8)';
const VOLUME_TYPE = 'DECIMAL(38,8)';

const codeSql = (column: string, values: readonly string[]) => `CASE ${column} ${values.map((v, i) => `WHEN ${sqlLiteral(v)} THEN ${i}`).join(' ')} END::UTINYINT`;
const seriesKey = (ex: number, iv: number) => ex * GOLD_INTERVALS.length + iv;

/** The runs of rows [from, to) of one series (exchange and interval codes) in a read sorted by series. */
function seriesRuns(ex: Uint8Array, iv: Uint8Array, rows: number): { ex: number; iv: number; from: number; to: number }[] {
  const runs: { ex: number; iv: number; from: number; to: number }[] = [];
  for (let a = 0; a < rows; ) {
    let b = a;
    while (b < rows && ex[b] === ex[a] && iv[b] === iv[a]) b++;
    runs.push({ ex: ex[a], iv: iv[a], from: a, to: b });
    a = b;
  }
  return runs;
}

/** What a build of one symbol knows about the symbols and exchanges of the whole build (ENUM codes). */
interface Codes {
  readonly exchanges: readonly string[];
  readonly symbols: readonly string[];
}

interface SeriesHistory {
  /** The closes of the last WARM_BARS windows before the computation starts. */
  readonly closes: Float64Array;
  /** The state after the newest of them. */
  readonly state: SeriesState;
}

/**
 * The history of each series before `from` whose newest row is warm: the closes of its last
 * WARM_BARS gold rows (for the windows) and the newest row's state (for the recursions).
 *
 * Read from one place: every warm series' last window of a day keeps its WARM_BARS closes
 * (`history_closes`) beside the recursions' state, so a series whose newest row before `from`
 * is on the day before is read from that one day's file. Only the others (a gap on the day
 * before, rows written before the column existed) fall back to scanning their rows back
 * (readHistoryFromRows: up to 201 daily files for the 1d series).
 */
async function readHistory(ctx: BuildContext, symbol: string, from: string, codes: Codes): Promise<Map<number, SeriesHistory>> {
  const { conn } = ctx;
  const sym = sqlLiteral(symbol);
  // The day before `from` alone: a relation over the files holding it, not the view over every file.
  const day = addDays(from, -1);
  const dayBefore = ctx.filesRelation('gold/indicators', filesHolding(ctx.filesOf('gold/indicators'), [{ symbol, date: day }]));
  const ofSymbol = `symbol = ${sym} AND exchange IN (${codes.exchanges.map(sqlLiteral).join(', ')})`;
  const keys = `${codeSql('exchange', codes.exchanges)} AS ex, ${codeSql('"interval"', GOLD_INTERVALS)} AS iv`;
  const reader = await conn.runAndReadAll(
    `SELECT ${keys}, ${HISTORY_CLOSES}, ${STATE_COLUMNS.map((c) => `coalesce(${c}, 'NaN'::DOUBLE) AS ${c}`).join(', ')} FROM ${dayBefore}
    WHERE ${ofSymbol} AND "date" = DATE ${sqlLiteral(day)} AND ${HISTORY_CLOSES} IS NOT NULL AND is_warm`,
  );
  const out = new Map<number, SeriesHistory>();
  for (const r of reader.getRowObjects()) {
    out.set(seriesKey(r.ex as number, r.iv as number), {
      closes: decodeCloses(r[HISTORY_CLOSES] as string),
      state: seriesState((c) => r[c] as number),
    });
  }
  const missing: string[] = [];
  for (let e = 0; e < codes.exchanges.length; e++) for (let k = 0; k < GOLD_INTERVALS.length; k++) if (!out.has(seriesKey(e, k))) missing.push(`${codes.exchanges[e]}|${GOLD_INTERVALS[k]}`);
  if (missing.length > 0) for (const [key, h] of await readHistoryFromRows(conn, sym, from, codes, missing)) out.set(key, h);
  return out;
}
/**
 * readHistory's fallback for the series (`exchange|interval`) in `only`, from their rows: the
 * last WARM_BARS gold rows before `from` whose newest row is warm. Each interval reads only the
 * days that can hold its WARM_BARS rows (1m: 1 day, 1d: 201), in one scan of four columns: each of
 * the (up to 201) daily files is opened once, not once per interval; the state columns are read
 * from the newest rows' own days only.
 */
async function readHistoryFromRows(conn: DuckDBConnection, sym: string, from: string, codes: Codes, only: readonly string[]): Promise<Map<number, SeriesHistory>> {
  const daysOf = (iv: GoldInterval) => Math.ceil((WARM_BARS * INTERVAL_MINUTES[iv]) / 1440) + 1;
  const longest = Math.max(...GOLD_INTERVALS.map(daysOf));
  const ofSymbol = `symbol = ${sym} AND exchange IN (${codes.exchanges.map(sqlLiteral).join(', ')})`;
  const history = `SELECT exchange, "interval", window_start, close, is_warm FROM gold_indicators
    WHERE ${ofSymbol} AND "date" BETWEEN DATE ${sqlLiteral(addDays(from, -longest))} AND DATE ${sqlLiteral(addDays(from, -1))}
      AND (${GOLD_INTERVALS.map((iv) => `("interval" = '${iv}' AND "date" >= DATE ${sqlLiteral(addDays(from, -daysOf(iv)))})`).join(' OR ')})
      AND exchange || '|' || "interval" IN (${only.map(sqlLiteral).join(', ')})`;
  const keys = `${codeSql('r.exchange', codes.exchanges)} AS ex, ${codeSql('r."interval"', GOLD_INTERVALS)} AS iv`;
  const read = await readRawColumns(
    conn,
    `WITH ranked AS (
      SELECT *, row_number() OVER s AS rk, count(*) OVER (PARTITION BY exchange, "interval") AS n FROM (${history})
      WINDOW s AS (PARTITION BY exchange, "interval" ORDER BY window_start DESC)
    )
    SELECT ${keys}, r.window_start, r.close
    FROM ranked r JOIN (SELECT exchange, "interval" FROM ranked WHERE rk = 1 AND is_warm AND n >= ${WARM_BARS}) w USING (exchange, "interval")
    WHERE r.rk <= ${WARM_BARS}
    ORDER BY ex, iv, r.window_start`,
  );
  const ex = rawColumn(read, 'ex').bytes;
  const iv = rawColumn(read, 'iv').bytes;
  const ws = toDoubles(rawColumn(read, 'window_start'));
  const close = toDoubles(rawColumn(read, 'close'));
  const series = seriesRuns(ex, iv, read.rows);
  const out = new Map<number, SeriesHistory>();
  if (series.length === 0) return out;
  const newest = series.map((x) => ws[x.to - 1]);
  const days = [...new Set(newest.map((us) => new Date(us / 1000).toISOString().slice(0, 10)))];
  const states = await readRawColumns(
    conn,
    `SELECT ${keys}, r.window_start, ${STATE_COLUMNS.map((c) => `coalesce(r.${c}, 'NaN'::DOUBLE) AS ${c}`).join(', ')} FROM gold_indicators r
    WHERE ${ofSymbol} AND "date" IN (${days.map((d) => `DATE ${sqlLiteral(d)}`).join(', ')})
      AND epoch_us(window_start) IN (${[...new Set(newest)].join(', ')})`,
  );
  const sEx = rawColumn(states, 'ex').bytes;
  const sIv = rawColumn(states, 'iv').bytes;
  const sWs = toDoubles(rawColumn(states, 'window_start'));
  const state = Object.fromEntries(STATE_COLUMNS.map((c) => [c, toDoubles(rawColumn(states, c))])) as Record<StateColumn, Float64Array>;
  series.forEach((x, k) => {
    let i = 0;
    while (i < states.rows && !(sEx[i] === x.ex && sIv[i] === x.iv && sWs[i] === newest[k])) i++;
    if (i === states.rows) throw new Error(`indicators: no state row for ${codes.exchanges[x.ex]} ${GOLD_INTERVALS[x.iv]} at ${new Date(newest[k] / 1000).toISOString()}`);
    out.set(seriesKey(x.ex, x.iv), {
      closes: close.subarray(x.from, x.to),
      state: seriesState((c) => state[c][i]),
    });
  });
  return out;
}

/** Silver's (symbol, date) partitions of `symbol` from `from` on, at the run's version. */
function silverDaysFrom(ctx: BuildContext, symbol: string, from: string): { symbol: string; date: string }[] {
  const dates = new Set<string>();
  for (const f of ctx.filesOf('silver/candles')) if (f.partitionValues.symbol === symbol && f.partitionValues.date && f.partitionValues.date >= from) dates.add(f.partitionValues.date);
  return [...dates].map((date) => ({ symbol, date }));
}

/** `history_closes`: WARM_BARS closes as base64 of little-endian float64s (bit for bit what the build computed with). */
function encodeCloses(closes: Float64Array): string {
  return Buffer.from(closes.buffer, closes.byteOffset, closes.byteLength).toString('base64');
}

function decodeCloses(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== WARM_BARS * 8) throw new Error(`indicators: ${HISTORY_CLOSES} holds ${bytes.byteLength / 8} closes, not ${WARM_BARS}`);
  // A copy: the Buffer may sit at any offset of Node's pool, a Float64Array needs 8-byte alignment.
  return new Float64Array(new Uint8Array(bytes).buffer);
}

/** One series to compute: its new windows, as rows of the silver read or as rolled-up windows. */
interface SeriesPlan {
  readonly ex: number;
  readonly iv: number;
  readonly history: SeriesHistory | undefined;
  /** Rows of the silver read (1m..1h), in window order. */
  readonly rows?: Int32Array;
  /** Windows rolled up from the 1h rows (4h, 1d). */
  readonly rolled?: readonly RolledWindow[];
}

/**
 * The computation for one symbol from date `from` on (or from its first candle): silver's rows
 * of the symbol are read (readSymbolInput), cut into series (planSeries: 4h and 1d rolled up from
 * the 1h rows), each series computed (computeSymbol) and the output rows appended to `into` with
 * the decimals copied bit for bit (appendSymbol). Series that have a warm state in gold before
 * `from` continue from it; the others start over from their first candle.
 */
async function buildSymbol(ctx: BuildContext, into: string, symbol: string, from: string | undefined, codes: Codes): Promise<number> {
  const lap = profiler(ctx.log);
  const history = from && ctx.outputHasRows ? await readHistory(ctx, symbol, from, codes) : new Map<number, SeriesHistory>();
  lap('history');
  const input = await readSymbolInput(ctx, symbol, from, codes, (ex, iv) => history.has(seriesKey(ex, iv)));
  lap('input');
  // (The other symbols' reads come later: the runner's other models may build now.)
  await ctx.inputRead();
  const plans = planSeries(input, history, from);
  const output = computeSymbol(input, plans);
  lap('compute');
  await appendSymbol(ctx, into, symbol, codes, output);
  lap('append');
  return output.total;
}

/** Silver's rows of one symbol for a build, in series, window and revision order, as typed arrays. */
interface SymbolInput {
  readonly rows: number;
  /** Exchange and interval codes (Codes, GOLD_INTERVALS). */
  readonly ex: Uint8Array;
  readonly iv: Uint8Array;
  /** Window starts (µs), closes, highs, lows, volumes, quote volumes and trade counts as doubles. */
  readonly ws: Float64Array;
  readonly close: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly volume: Float64Array;
  readonly quote: Float64Array;
  readonly tradeCount: Float64Array;
  /** The same columns as DuckDB stores them, copied to gold bit for bit. */
  readonly wsRaw: RawColumn;
  readonly closeRaw: RawColumn;
  readonly volumeRaw: RawColumn;
  readonly quoteRaw: RawColumn;
}

/**
 * Silver's rows of `symbol` from `from` on (every revision, in window and revision order, so that
 * the last row of a window is its latest revision: one sort rather than a dedupe and then a
 * sort), read as raw columns; every row of a series that is not `warm` (it starts over).
 */
async function readSymbolInput(ctx: BuildContext, symbol: string, from: string | undefined, codes: Codes, warm: (ex: number, iv: number) => boolean): Promise<SymbolInput> {
  const { conn } = ctx;
  const sym = sqlLiteral(symbol);
  // Rows before `from` are read only for series without a warm state (rare: a new series, or
  // one still warming up), and only then does the read span every date: a 1h row feeds the 1h,
  // 4h and 1d series, so it is read from the start when any of them is cold.
  // The symbol's days from `from` on: a relation over their files (the view binds every day's).
  const recent = from ? ctx.partitionsRelation('silver/candles', silverDaysFrom(ctx, symbol, from)) : 'silver_candles_all_revisions';
  const readSql = (where: string, source = recent) => `SELECT ${codeSql('exchange', codes.exchanges)} AS ex, ${codeSql('"interval"', GOLD_INTERVALS)} AS iv, window_start, trade_count, high, low, close, volume, quote_volume
    FROM ${source}
    WHERE symbol = ${sym} AND "interval" IN (${DIRECT_INTERVALS.map(sqlLiteral).join(', ')}) AND (${where})
    ORDER BY ex, iv, window_start, revision`;
  let read = await readRawColumns(conn, readSql(from ? `"date" >= DATE ${sqlLiteral(from)}` : 'true'));
  if (from) {
    const cold = new Set<string>();
    const exs = rawColumn(read, 'ex').bytes;
    const ivs = rawColumn(read, 'iv').bytes;
    for (const run of seriesRuns(exs, ivs, read.rows)) {
      const feeds = run.iv === HOUR ? [HOUR, ...ROLLED_UP_CODES] : [run.iv];
      if (!feeds.every((k) => warm(run.ex, k))) cold.add(`${codes.exchanges[run.ex]}|${GOLD_INTERVALS[run.iv]}`);
    }
    if (cold.size > 0) read = await readRawColumns(conn, readSql(`"date" >= DATE ${sqlLiteral(from)} OR exchange || '|' || "interval" IN (${[...cold].map(sqlLiteral).join(', ')})`, 'silver_candles_all_revisions'));
  }
  const rows = read.rows;
  const ex = rawColumn(read, 'ex').bytes;
  const iv = rawColumn(read, 'iv').bytes;
  const wsRaw = rawColumn(read, 'window_start');
  const closeRaw = rawColumn(read, 'close');
  const volumeRaw = rawColumn(read, 'volume');
  if (closeRaw.type !== CLOSE_TYPE || volumeRaw.type !== VOLUME_TYPE) throw new Error(`indicators: silver's close/volume are ${closeRaw.type}/${volumeRaw.type}, gold's ${CLOSE_TYPE}/${VOLUME_TYPE}`);
  const ws = toDoubles(wsRaw);
  const close = toDoubles(closeRaw);
  const high = toDoubles(rawColumn(read, 'high'));
  const low = toDoubles(rawColumn(read, 'low'));
  const volume = toDoubles(volumeRaw);
  const quoteRaw = rawColumn(read, 'quote_volume');
  const quote = toDoubles(quoteRaw);
  const tradeCount = toDoubles(rawColumn(read, 'trade_count'));
  return { rows, ex, iv, ws, close, high, low, volume, quote, tradeCount, wsRaw, closeRaw, volumeRaw, quoteRaw };
}

/**
 * The series to compute, in (exchange, interval) order: each from the latest revision of every
 * window (the last row of equal windows), from `from` on for a series continuing from its
 * history, from its first candle otherwise; 4h and 1d rolled up from the 1h rows.
 */
function planSeries(input: SymbolInput, history: ReadonlyMap<number, SeriesHistory>, from: string | undefined): SeriesPlan[] {
  const { rows, ex, iv, ws, close, high, low, tradeCount, volumeRaw, quoteRaw } = input;
  const warm = (e: number, k: number) => history.has(seriesKey(e, k));
  const fromUs = from ? Date.parse(`${from}T00:00:00Z`) * 1000 : -Infinity;
  const plans: SeriesPlan[] = [];
  for (const { from: a, to: b } of seriesRuns(ex, iv, rows)) {
    const inSeries = (k: number) => latestRevisions(ws, a, b, warm(ex[a], k) ? fromUs : -Infinity);
    const direct = inSeries(iv[a]);
    if (direct.length > 0) plans.push({ ex: ex[a], iv: iv[a], history: history.get(seriesKey(ex[a], iv[a])), rows: direct });
    if (iv[a] === HOUR) {
      for (const [name, bucketUs] of Object.entries(ROLLED_UP)) {
        const k = GOLD_INTERVALS.indexOf(name as GoldInterval);
        const hours = inSeries(k);
        if (hours.length === 0) continue;
        const rolled = rollUpHours({ rows: hours, windowStartUs: ws, tradeCount, high, low, close, volumeAt: (i) => int128At(volumeRaw, i), quoteVolumeAt: (i) => int128At(quoteRaw, i) }, bucketUs!);
        plans.push({ ex: ex[a], iv: k, history: history.get(seriesKey(ex[a], k)), rolled });
      }
    }
  }
  plans.sort((x, y) => x.ex - y.ex || x.iv - y.iv);
  return plans;
}

/**
 * The rows a..b-1 of one series (sorted by window, then revision) that are the last of their
 * window (its latest revision) and start at or after `fromUs`.
 */
function latestRevisions(ws: Float64Array, a: number, b: number, fromUs: number): Int32Array {
  const out = new Int32Array(b - a);
  let n = 0;
  for (let i = a; i < b; i++) if ((i + 1 === b || ws[i + 1] !== ws[i]) && ws[i] >= fromUs) out[n++] = i;
  return out.subarray(0, n);
}

/** A symbol's output rows, in gold/indicators' order; the decimals and window starts as raw integers. */
interface SymbolOutput {
  readonly total: number;
  readonly out: Readonly<Record<OutputColumn, Float64Array>>;
  readonly vwap: Float64Array;
  readonly isWarm: Uint8Array;
  readonly outDay: Int32Array;
  /** Output row → its `history_closes` (the rows keeping the windows' history). */
  readonly histories: ReadonlyMap<number, string>;
  readonly outEx: Uint8Array;
  readonly outIv: Uint8Array;
  readonly outWs: BigInt64Array;
  readonly outClose: Int32Array;
  readonly outVolume: Int32Array;
}

/** Computes every planned series (indicators/ta.ts), its session VWAP and the state gold keeps. */
function computeSymbol(input: SymbolInput, plans: readonly SeriesPlan[]): SymbolOutput {
  const { ws, close, high, low, volume, quote, wsRaw, closeRaw, volumeRaw, quoteRaw } = input;
  const total = plans.reduce((n, p) => n + (p.rows?.length ?? p.rolled!.length), 0);
  const out = Object.fromEntries(OUTPUT_COLUMNS.map((c) => [c, new Float64Array(total).fill(NaN)])) as Record<OutputColumn, Float64Array>;
  const innerState = INNER_STATE_COLUMNS.map((c) => out[c]);
  const vwap = new Float64Array(total).fill(NaN);
  const isWarm = new Uint8Array(total);
  const outDay = new Int32Array(total);
  /** Output row → its `history_closes` (the rows keeping the windows' history). */
  const histories = new Map<number, string>();
  const outEx = new Uint8Array(total);
  const outIv = new Uint8Array(total);
  const outWs = new BigInt64Array(total);
  const outClose = new Int32Array(total * 2);
  const outVolume = new Int32Array(total * 4);
  const closeWords = asInt32(closeRaw);
  const wsWords = asInt32(wsRaw);
  const volumeWords = asInt32(volumeRaw);
  const quoteScale = decimalScale(quoteRaw.type);
  const volumeScale = decimalScale(VOLUME_TYPE)!;
  if (quoteScale === undefined) throw new Error(`indicators: silver's quote_volume is ${quoteRaw.type}, not a decimal`);
  const outWsWords = new Int32Array(outWs.buffer);
  let at = 0;
  for (const plan of plans) {
    const h = plan.history?.closes.length ?? 0;
    const m = plan.rows?.length ?? plan.rolled!.length;
    const c = new Float64Array(h + m);
    const hi = new Float64Array(h + m);
    const lo = new Float64Array(h + m);
    const q = new Float64Array(m);
    const v = new Float64Array(m);
    if (plan.history) c.set(plan.history.closes);
    if (plan.rows) {
      const rowsOf = plan.rows;
      for (let o = 0; o < m; o++) {
        const t = at + o;
        const i = rowsOf[o];
        c[h + o] = close[i];
        hi[h + o] = high[i];
        lo[h + o] = low[i];
        q[o] = quote[i];
        v[o] = volume[i];
        outWsWords[2 * t] = wsWords[2 * i];
        outWsWords[2 * t + 1] = wsWords[2 * i + 1];
        outClose[2 * t] = closeWords[2 * i];
        outClose[2 * t + 1] = closeWords[2 * i + 1];
        outVolume[4 * t] = volumeWords[4 * i];
        outVolume[4 * t + 1] = volumeWords[4 * i + 1];
        outVolume[4 * t + 2] = volumeWords[4 * i + 2];
        outVolume[4 * t + 3] = volumeWords[4 * i + 3];
        outDay[t] = Math.floor(ws[i] / DAY_US);
      }
    } else {
      const rolled = plan.rolled!;
      for (let o = 0; o < m; o++) {
        const t = at + o;
        const w = rolled[o];
        c[h + o] = w.close;
        hi[h + o] = w.high;
        lo[h + o] = w.low;
        q[o] = bigintToDouble(w.quoteVolume, quoteScale);
        v[o] = bigintToDouble(w.volume, volumeScale);
        outWs[t] = BigInt(w.windowStartUs);
        outClose[2 * t] = closeWords[2 * w.lastRow];
        outClose[2 * t + 1] = closeWords[2 * w.lastRow + 1];
        setInt128(new Uint8Array(outVolume.buffer), t, w.volume);
        outDay[t] = Math.floor(w.windowStartUs / DAY_US);
      }
    }
    outEx.fill(plan.ex, at, at + m);
    outIv.fill(plan.iv, at, at + m);
    computeSeries(c, hi, lo, h, plan.history?.state, PERIODS_PER_YEAR(GOLD_INTERVALS[plan.iv]), { columns: out, isWarm, at });
    // The windows' history, kept where the inner state is: on each warm series' last window of a day.
    for (let o = 0; o < m; o++) {
      const t = at + o;
      if ((o + 1 === m || outDay[t + 1] !== outDay[t]) && isWarm[t] && h + o + 1 >= WARM_BARS) histories.set(t, encodeCloses(c.subarray(h + o + 1 - WARM_BARS, h + o + 1)));
    }
    // The recursions' inner state is kept on each series' last window of a day only (NULL on the
    // others, so gold writes three columns less): an incremental build continues from the last
    // window before the first day it recomputes, which is always such a window.
    for (const inner of innerState) {
      for (let t = at; t < at + m - 1; t++) if (outDay[t + 1] === outDay[t]) inner[t] = NaN;
    }
    // Session VWAP: cumulative quote volume over cumulative volume since 00:00 UTC.
    let qs = 0;
    let vs = 0;
    for (let o = 0; o < m; o++) {
      const t = at + o;
      if (o === 0 || outDay[t] !== outDay[t - 1]) qs = vs = 0;
      qs += q[o];
      vs += v[o];
      vwap[t] = vs > 0 ? qs / vs : NaN;
    }
    at += m;
  }
  return { total, out, vwap, isWarm, outDay, histories, outEx, outIv, outWs, outClose, outVolume };
}

/** Appends a symbol's output rows to `into` (its columns are gold/indicators', `month` aside). */
async function appendSymbol(ctx: BuildContext, into: string, symbol: string, codes: Codes, output: SymbolOutput): Promise<void> {
  const { total, out, vwap, isWarm, outDay, histories, outEx, outIv, outWs, outClose, outVolume } = output;
  const symbolCode = codes.symbols.indexOf(symbol);
  const symbolCodes = new Uint8Array(total * enumWidth(codes.symbols.length));
  if (enumWidth(codes.symbols.length) === 1) symbolCodes.fill(symbolCode);
  else if (enumWidth(codes.symbols.length) === 2) new Uint16Array(symbolCodes.buffer).fill(symbolCode);
  else new Uint32Array(symbolCodes.buffer).fill(symbolCode);
  const raw = (bytes: ArrayBufferView): AppendColumn => ({ kind: 'raw', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  const double = (values: Float64Array): AppendColumn => ({ kind: 'double', values });
  const byName: Record<string, AppendColumn> = {
    exchange: raw(outEx),
    symbol: raw(symbolCodes),
    interval: raw(outIv),
    window_start: raw(outWs),
    close: raw(outClose),
    volume: raw(outVolume),
    vwap: double(vwap),
    is_warm: raw(isWarm),
    [HISTORY_CLOSES]: { kind: 'sparseVarchar', values: histories },
    ...Object.fromEntries(OUTPUT_COLUMNS.map((c) => [c, double(out[c])])),
  };
  await appendColumns(ctx.conn, into, APPENDED_COLUMNS.map((c) => byName[c.name]), total, rowsWithin(ctx.partitions, symbol, outDay));
}

/**
 * The exchanges of silver's files of `symbols` from date `from` on, read off the files' column
 * statistics when each file holds one exchange (its min equals its max: the usual case, one
 * exchange's candles a commit), sorted; undefined when a file does not say (then a query).
 */
function exchangesFromStats(files: readonly AddAction[], symbols: readonly string[], from: string | undefined): string[] | undefined {
  const wanted = new Set(symbols);
  const found = new Set<string>();
  for (const f of files) {
    const { symbol, date } = f.partitionValues;
    if (!symbol || !wanted.has(symbol) || (from !== undefined && (!date || date < from))) continue;
    const stats = parseStats(f);
    const lo = stats?.minValues?.exchange;
    if (typeof lo !== 'string' || lo !== stats?.maxValues?.exchange) return undefined;
    found.add(lo);
  }
  return [...found].sort();
}

/**
 * The output rows of the computed partitions, as ranges: a series computed over again from its
 * first candle (it had no warm state) has rows of earlier days too, and a run restricted to
 * --from/--to computes the recursions past `to`.
 */
function rowsWithin(partitions: PartitionSet, symbol: string, outDay: Int32Array): [number, number][] {
  if (partitions === 'all') return [[0, outDay.length]];
  const days = new Set(partitions.filter((p) => p.date !== undefined && (p.symbol === undefined || p.symbol === symbol)).map((p) => Date.parse(`${p.date}T00:00:00Z`) / 86_400_000));
  const ranges: [number, number][] = [];
  for (let a = 0; a < outDay.length; ) {
    let b = a + 1;
    while (b < outDay.length && outDay[b] === outDay[a]) b++;
    if (days.has(outDay[a])) {
      if (ranges.length > 0 && ranges[ranges.length - 1][1] === a) ranges[ranges.length - 1][1] = b;
      else ranges.push([a, b]);
    }
    a = b;
  }
  return ranges;
}

/** Bytes a value of an ENUM of `n` values takes (DuckDB picks the smallest unsigned integer). */
function enumWidth(n: number): number {
  return n <= 0xff ? 1 : n <= 0xffff ? 2 : 4;
}

/** The table the build appends to: gold/indicators' columns, the key strings as ENUMs, some generated (GENERATED_COLUMNS). */
function outputTableSql(into: string, codes: Codes, nowUs: number): string {
  const enumOf = (values: readonly string[]) => `ENUM(${values.map(sqlLiteral).join(', ')})`;
  const typeOf = (name: string, type: string): string => {
    if (name === 'exchange') return enumOf(codes.exchanges);
    if (name === 'symbol') return enumOf(codes.symbols);
    if (name === 'interval') return enumOf(GOLD_INTERVALS);
    if (type === 'timestamp') return 'TIMESTAMPTZ';
    if (type === 'string') return 'VARCHAR';
    if (type === 'double' || type === 'boolean' || type === 'date') return type.toUpperCase();
    if (type.startsWith('decimal')) return type.toUpperCase().replace(' ', '');
    throw new Error(`indicators: no column type for ${name} (${type})`);
  };
  const column = (c: LakeColumn) => {
    const generated = GENERATED_COLUMNS[c.name]?.(nowUs);
    return `"${c.name}" ${typeOf(c.name, c.type)}${generated ? ` GENERATED ALWAYS AS (${generated}) VIRTUAL` : ''}`;
  };
  return `CREATE OR REPLACE TABLE ${into} (${BUILT_COLUMNS.map(column).join(', ')})`;
}

export const indicatorsModel: Model = {
  name: 'indicators',
  description: 'SMA, EMA, MACD, RSI, Bollinger, ATR, returns, volatility, VWAP per symbol and interval (TA-Lib conventions)',
  inputs: ['silver/candles'],
  output: GOLD_INDICATORS,
  materialization: 'partitions',
  lookbackDays: HISTORY_DAYS,
  newestMonthByDay: true,
  exclusiveRead: true,
  rowsWithinPartitions: true,
  async affected(changed: PartitionSet, { partitionsOf }) {
    if (changed === 'all') return 'all';
    // A recursion: a change on date D changes every later date of the symbol (silver's
    // (symbol, date) partitions from D on: read off its files, no query).
    const from = new Map<string, string>();
    for (const p of changed) if (p.symbol && p.date && (!from.has(p.symbol) || p.date < from.get(p.symbol)!)) from.set(p.symbol, p.date);
    const out: Partition[] = changed.map((p) => ({ symbol: p.symbol, date: p.date }));
    for (const p of partitionsOf('silver/candles')) {
      const since = p.symbol ? from.get(p.symbol) : undefined;
      if (since !== undefined && p.date && p.date >= since) out.push({ symbol: p.symbol!, date: p.date });
    }
    return dedupePartitions(out);
  },
  async build(ctx, into) {
    const symbols = await symbolsOf(ctx.conn, ctx.partitions);
    const names = [...symbols.keys()].sort();
    if (names.length === 0) {
      await ctx.conn.run(`CREATE OR REPLACE TABLE ${into} AS SELECT ${BUILT_COLUMNS.map((c) => `NULL AS "${c.name}"`).join(', ')} WHERE false`);
      return;
    }
    // The exchanges with candles to compute (from the first recomputed date: a pruned scan);
    // series of other exchanges have nothing new.
    const froms = [...symbols.values()];
    const first = froms.every((f) => f !== undefined) ? froms.reduce((x, y) => (x! < y! ? x : y)) : undefined;
    const exchanges =
      exchangesFromStats(ctx.filesOf('silver/candles'), names, first) ??
      (await queryJson(ctx.conn, `SELECT DISTINCT exchange FROM silver_candles_all_revisions WHERE symbol IN (${names.map(sqlLiteral).join(', ')})${first ? ` AND "date" >= DATE ${sqlLiteral(first)}` : ''} ORDER BY 1`)).map((r) => String(r.exchange));
    const codes: Codes = { exchanges, symbols: names };
    await ctx.conn.run(outputTableSql(into, codes, ctx.nowUs));
    let rows = 0;
    for (const [symbol, from] of symbols) {
      rows += await buildSymbol(ctx, into, symbol, from, codes);
      ctx.log(`${symbol}${from ? ` from ${from}` : ''}: ${rows} windows`);
    }
  },
  tests: [
    { kind: 'unique', columns: ['exchange', 'symbol', 'interval', 'window_start'] },
    { kind: 'not_null', columns: ['exchange', 'symbol', 'interval', 'window_start', 'close', 'is_warm'] },
    { kind: 'accepted_values', column: 'interval', values: [...GOLD_INTERVALS] },
    {
      kind: 'sql',
      name: 'warm_rows_have_every_indicator',
      sql: `SELECT * FROM {{ this }} WHERE is_warm AND (sma_200 IS NULL OR ema_26 IS NULL OR macd_signal IS NULL OR rsi_14 IS NULL OR bb_upper IS NULL OR atr_14 IS NULL OR realized_vol IS NULL)`,
    },
    { kind: 'sql', name: 'rsi_between_0_and_100', sql: `SELECT * FROM {{ this }} WHERE rsi_14 < 0 OR rsi_14 > 100` },
    { kind: 'sql', name: 'bollinger_ordered', sql: `SELECT * FROM {{ this }} WHERE bb_lower > bb_middle OR bb_middle > bb_upper` },
    { kind: 'sql', name: 'atr_not_negative', sql: `SELECT * FROM {{ this }} WHERE atr_14 < 0` },
  ],
};
