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
import { sqlLiteral, queryJson, type TableDefinition } from '../../lake/index.ts';
import { computeSeries, OUTPUT_COLUMNS, WARM_BARS, type SeriesState } from '../indicators/ta.ts';
import { nanToNull, readNumericColumns, writeColumnsTable, type WritableColumn } from '../indicators/columnar.ts';
import type { BuildContext, Model } from '../model.ts';
import { profiler } from '../profile.ts';
import { addDays, dedupePartitions, type Partition, type PartitionSet } from '../partitions.ts';
import { GOLD_INTERVALS, INTERVAL_MINUTES, goldCandlesSql, type GoldInterval } from './candles-sql.ts';

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
    { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(window_start)) AS DATE)` },
  ],
  partitionColumns: ['symbol', 'date'],
};

const STATE_COLUMNS = ['ema_12', 'ema_26', 'macd_ema_fast', 'macd_signal', 'rsi_avg_gain', 'rsi_avg_loss', 'atr_14'] as const;
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

/** Candles with what the computation reads (doubles, and the quote volume) and what the output keeps (decimals). */
function candleInputSql(where: string, intervals?: readonly GoldInterval[]): string {
  return `SELECT exchange, symbol, "interval", window_start, "date", close, volume,
      CAST(close AS DOUBLE) AS c, CAST(high AS DOUBLE) AS h, CAST(low AS DOUBLE) AS l,
      -- The quote volume stays a decimal: the columnar reader converts it (DuckDB's cast is slow).
      quote_volume AS qv, CAST(volume AS DOUBLE) AS v, CAST(epoch_us(window_start) // 86400000000 AS DOUBLE) AS day
    FROM (${goldCandlesSql(where, intervals)})`;
}

/** The computation for one symbol from date `from` on (or from its first candle). */
async function buildSymbol(ctx: BuildContext, into: string, symbol: string, from: string | undefined, first: boolean): Promise<number> {
  const { conn } = ctx;
  const lap = profiler(ctx.log);
  const sym = sqlLiteral(symbol);
  const stateNulls = STATE_COLUMNS.map((c) => `NULL::DOUBLE AS ${c}`).join(', ');
  // Rows of the series in order: history rows (is_hist = 1: closes and state from gold) first.
  let series: string;
  if (!from) {
    series = `SELECT *, 0 AS is_hist, ${stateNulls} FROM (${candleInputSql(`symbol = ${sym}`)})`;
  } else {
    await conn.run(`CREATE OR REPLACE TEMP TABLE __ind_new AS ${candleInputSql(`symbol = ${sym} AND "date" >= DATE ${sqlLiteral(from)}`)}`);
    lap('new candles');
    let hist = `SELECT NULL::VARCHAR AS exchange, NULL::VARCHAR AS "interval", NULL::TIMESTAMPTZ AS window_start, NULL::DOUBLE AS c, ${stateNulls} WHERE false`;
    let warm = new Set<string>();
    if (ctx.outputHasRows) {
      // The last WARM_BARS gold rows of each series before `from` (their closes for the windows,
      // the newest one's state for the recursions), usable when that newest row is warm.
      // Each interval reads only the days that can hold its WARM_BARS rows (1m: 1 day, 1d: 201),
      // in one scan: each of the (up to 201) daily files is opened once, not once per interval.
      const daysOf = (iv: GoldInterval) => Math.ceil((WARM_BARS * INTERVAL_MINUTES[iv]) / 1440) + 1;
      const longest = Math.max(...GOLD_INTERVALS.map(daysOf));
      const history = `SELECT exchange, "interval", window_start, close, ${STATE_COLUMNS.join(', ')}, is_warm FROM gold_indicators
        WHERE symbol = ${sym} AND "date" BETWEEN DATE ${sqlLiteral(addDays(from, -longest))} AND DATE ${sqlLiteral(addDays(from, -1))}
          AND (${GOLD_INTERVALS.map((iv) => `("interval" = '${iv}' AND "date" >= DATE ${sqlLiteral(addDays(from, -daysOf(iv)))})`).join(' OR ')})`;
      await conn.run(`CREATE OR REPLACE TEMP TABLE __ind_hist AS
        SELECT exchange, "interval", window_start, CAST(close AS DOUBLE) AS c, ${STATE_COLUMNS.join(', ')}, is_warm, n, rk FROM (
          SELECT *, row_number() OVER s AS rk, count(*) OVER (PARTITION BY exchange, "interval") AS n FROM (${history})
          WINDOW s AS (PARTITION BY exchange, "interval" ORDER BY window_start DESC)
        ) WHERE rk <= ${WARM_BARS}`);
      lap('history');
      warm = new Set((await queryJson(conn, `SELECT exchange || '|' || "interval" AS k FROM __ind_hist WHERE rk = 1 AND is_warm AND n >= ${WARM_BARS}`)).map((r) => String(r.k)));
      hist = `SELECT exchange, "interval", window_start, c, ${STATE_COLUMNS.join(', ')} FROM __ind_hist WHERE exchange || '|' || "interval" IN (${[...warm].map(sqlLiteral).join(', ') || "''"})`;
    }
    await conn.run(`CREATE OR REPLACE TEMP TABLE __ind_hist_exchanges AS SELECT DISTINCT exchange FROM (${hist})`);
    // Series without a warm state start over from their first candle.
    const present = (await queryJson(conn, `SELECT DISTINCT exchange, "interval" FROM __ind_new`)).map((r) => ({ exchange: String(r.exchange), interval: String(r.interval) as GoldInterval }));
    const cold = [...new Set(present.filter((p) => !warm.has(`${p.exchange}|${p.interval}`)).map((p) => p.interval))];
    if (cold.length > 0) await conn.run(`INSERT INTO __ind_new ${candleInputSql(`symbol = ${sym} AND "date" < DATE ${sqlLiteral(from)}`, cold)}`);
    series = `SELECT *, 0 AS is_hist, ${stateNulls} FROM __ind_new
      UNION ALL
      SELECT exchange, ${sym} AS symbol, "interval", window_start, NULL::DATE AS "date", NULL::DECIMAL(18,8) AS close, NULL::DECIMAL(38,8) AS volume,
        c, NULL::DOUBLE AS h, NULL::DOUBLE AS l, NULL::DECIMAL(38,16) AS qv, NULL::DOUBLE AS v, NULL::DOUBLE AS day, 1 AS is_hist, ${STATE_COLUMNS.join(', ')} FROM (${hist})`;
  }
  // In series order (a temp table keeps its insertion order: the positional join below relies on it).
  const exchangeSource = from ? `SELECT exchange FROM __ind_new UNION SELECT exchange FROM __ind_hist_exchanges` : `SELECT exchange FROM silver_candles_all_revisions WHERE symbol = ${sym}`;
  const exchanges = (await queryJson(conn, `SELECT DISTINCT exchange FROM (${exchangeSource}) ORDER BY 1`)).map((r) => String(r.exchange));
  await conn.run(`CREATE OR REPLACE TEMP TABLE __ind_in AS
    SELECT *, CASE exchange ${exchanges.map((e, i) => `WHEN ${sqlLiteral(e)} THEN ${i}`).join(' ')} END AS ex_code,
      CASE "interval" ${GOLD_INTERVALS.map((iv, i) => `WHEN '${iv}' THEN ${i}`).join(' ')} END AS iv_code
    FROM (${series}) ORDER BY exchange, "interval", window_start`);
  lap('input');
  const { rows, columns } = await readNumericColumns(conn, `SELECT ex_code::DOUBLE, iv_code::DOUBLE, is_hist::DOUBLE, c, h, l, qv, v, day, ${STATE_COLUMNS.join(', ')} FROM __ind_in`);
  const [exCode, ivCode, isHist, close, high, low, quote, volume, day, ...state] = columns;
  lap('read');
  const out = Object.fromEntries(OUTPUT_COLUMNS.map((c) => [c, new Float64Array(rows).fill(NaN)])) as Record<(typeof OUTPUT_COLUMNS)[number], Float64Array>;
  const vwap = new Float64Array(rows).fill(NaN);
  const warm = new Float64Array(rows);
  let computed = 0;
  for (let a = 0; a < rows; ) {
    let b = a;
    while (b < rows && exCode[b] === exCode[a] && ivCode[b] === ivCode[a]) b++;
    let h = 0;
    while (a + h < b && isHist[a + h] === 1) h++;
    const last = a + h - 1;
    const seriesState: SeriesState | undefined =
      h > 0 ? { ema12: state[0][last], ema26: state[1][last], macdEmaFast: state[2][last], macdSignal: state[3][last], rsiAvgGain: state[4][last], rsiAvgLoss: state[5][last], atr14: state[6][last] } : undefined;
    const result = computeSeries(close.subarray(a, b), high.subarray(a, b), low.subarray(a, b), h, seriesState, PERIODS_PER_YEAR(GOLD_INTERVALS[ivCode[a]]));
    for (const c of OUTPUT_COLUMNS) out[c].set(result.columns[c], a + h);
    // The recursions' inner state is kept on each series' last window of a day only (NULL on the
    // others, so gold writes three columns less): an incremental build continues from the last
    // window before the first day it recomputes, which is always such a window.
    for (let i = a + h; i < b - 1; i++) {
      if (day[i + 1] !== day[i]) continue;
      for (const c of INNER_STATE_COLUMNS) out[c][i] = NaN;
    }
    warm.set(result.isWarm, a + h);
    // Session VWAP: cumulative quote volume over cumulative volume since 00:00 UTC.
    let q = 0;
    let v = 0;
    for (let i = a + h; i < b; i++) {
      if (i === a + h || day[i] !== day[i - 1]) q = v = 0;
      q += quote[i];
      v += volume[i];
      vwap[i] = v > 0 ? q / v : NaN;
    }
    computed += b - a - h;
    a = b;
  }
  lap('compute');
  const calc: WritableColumn[] = [{ name: 'vwap', values: vwap }, ...OUTPUT_COLUMNS.map((c): WritableColumn => ({ name: c, values: out[c] })), { name: 'is_warm', values: warm }];
  await writeColumnsTable(conn, '__ind_calc', calc);
  lap('write calc');
  const value = (x: string) => `${nanToNull(`k.${x}`)} AS ${x}`;
  const select = `SELECT i.exchange, i.symbol, i."interval", i.window_start, i.close, i.volume, ${value('vwap')},
      ${OUTPUT_COLUMNS.filter((x) => !(INNER_STATE_COLUMNS as readonly string[]).includes(x)).map(value).join(', ')},
      k.is_warm = 1 AS is_warm, make_timestamptz(${Math.round(ctx.nowUs)}::BIGINT) AS computed_at, ${INNER_STATE_COLUMNS.map(value).join(', ')}, i."date"
    FROM __ind_in i POSITIONAL JOIN __ind_calc k WHERE i.is_hist = 0`;
  await conn.run(first ? `CREATE OR REPLACE TEMP TABLE ${into} AS ${select}` : `INSERT INTO ${into} ${select}`);
  lap('join');
  for (const t of ['__ind_new', '__ind_hist', '__ind_hist_exchanges', '__ind_in', '__ind_calc']) await conn.run(`DROP TABLE IF EXISTS temp.${t}`);
  return computed;
}

export const indicatorsModel: Model = {
  name: 'indicators',
  description: 'SMA, EMA, MACD, RSI, Bollinger, ATR, returns, volatility, VWAP per symbol and interval (TA-Lib conventions)',
  inputs: ['silver/candles'],
  output: GOLD_INDICATORS,
  materialization: 'partitions',
  lookbackDays: HISTORY_DAYS,
  async affected(changed: PartitionSet, { conn }) {
    if (changed === 'all') return 'all';
    // A recursion: a change on date D changes every later date of the symbol.
    const from = new Map<string, string>();
    for (const p of changed) if (p.symbol && p.date && (!from.has(p.symbol) || p.date < from.get(p.symbol)!)) from.set(p.symbol, p.date);
    const out: Partition[] = changed.map((p) => ({ symbol: p.symbol, date: p.date }));
    for (const [symbol, date] of from) {
      for (const r of await queryJson(conn, `SELECT DISTINCT CAST("date" AS VARCHAR) AS date FROM silver_candles_all_revisions WHERE symbol = ${sqlLiteral(symbol)} AND "date" >= DATE ${sqlLiteral(date)}`)) {
        out.push({ symbol, date: String(r.date) });
      }
    }
    return dedupePartitions(out);
  },
  async build(ctx, into) {
    let first = true;
    let rows = 0;
    for (const [symbol, from] of await symbolsOf(ctx.conn, ctx.partitions)) {
      rows += await buildSymbol(ctx, into, symbol, from, first);
      first = false;
      ctx.log(`${symbol}${from ? ` from ${from}` : ''}: ${rows} windows`);
    }
    if (first) await ctx.conn.run(`CREATE OR REPLACE TEMP TABLE ${into} AS SELECT ${GOLD_INDICATORS.columns.map((c) => `NULL AS "${c.name}"`).join(', ')} WHERE false`);
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
