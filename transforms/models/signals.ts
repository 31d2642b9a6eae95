/**
 * `gold/signals` (SQL): crossings read off gold/indicators, each raised on the window where it
 * happens (the previous window of the same series is on the other side): SMA 20 over / under
 * SMA 50, MACD over / under its signal, RSI entering above 70 / below 30, the close breaking out
 * of the Bollinger bands. Warm-up windows (NULL indicators) raise nothing.
 *
 * A full build pairs each window with the previous one in the indicators' rows as a scan gives
 * them (in series order, checked) instead of by a window sort of every indicator row (about half
 * of the build's CPU on one thread).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryJson } from '../../lake/index.ts';
import type { Model } from '../model.ts';
import { inputRangeSql } from '../partitions.ts';
import { ALERT_TESTS, alertIdSql, alertTableDefinition, alertRowsSql } from './alert-columns.ts';

export const GOLD_SIGNALS = alertTableDefinition('gold/signals', 'Indicator crossings: SMA 20/50, MACD/signal, RSI 70/30, Bollinger breakouts.');

interface SignalRule {
  readonly kind: string;
  readonly when: string;
  readonly value: string;
  readonly threshold: string;
  readonly severity: 'info' | 'warning';
  readonly details: string;
}

const RULES: readonly SignalRule[] = [
  { kind: 'sma_cross_up', when: 'p_sma_20 <= p_sma_50 AND sma_20 > sma_50', value: 'sma_20', threshold: 'sma_50', severity: 'info', details: `json_object('sma_20', sma_20, 'sma_50', sma_50)` },
  { kind: 'sma_cross_down', when: 'p_sma_20 >= p_sma_50 AND sma_20 < sma_50', value: 'sma_20', threshold: 'sma_50', severity: 'info', details: `json_object('sma_20', sma_20, 'sma_50', sma_50)` },
  { kind: 'macd_cross_up', when: 'p_macd <= p_macd_signal AND macd > macd_signal', value: 'macd', threshold: 'macd_signal', severity: 'info', details: `json_object('macd', macd, 'macd_signal', macd_signal, 'macd_hist', macd_hist)` },
  { kind: 'macd_cross_down', when: 'p_macd >= p_macd_signal AND macd < macd_signal', value: 'macd', threshold: 'macd_signal', severity: 'info', details: `json_object('macd', macd, 'macd_signal', macd_signal, 'macd_hist', macd_hist)` },
  { kind: 'rsi_overbought', when: 'p_rsi_14 <= 70 AND rsi_14 > 70', value: 'rsi_14', threshold: '70', severity: 'warning', details: `json_object('rsi_14', rsi_14, 'previous', p_rsi_14)` },
  { kind: 'rsi_oversold', when: 'p_rsi_14 >= 30 AND rsi_14 < 30', value: 'rsi_14', threshold: '30', severity: 'warning', details: `json_object('rsi_14', rsi_14, 'previous', p_rsi_14)` },
  { kind: 'bb_break_up', when: 'p_close <= p_bb_upper AND close > bb_upper', value: 'close', threshold: 'bb_upper', severity: 'info', details: `json_object('close', close, 'bb_upper', bb_upper, 'bb_middle', bb_middle)` },
  { kind: 'bb_break_down', when: 'p_close >= p_bb_lower AND close < bb_lower', value: 'close', threshold: 'bb_lower', severity: 'info', details: `json_object('close', close, 'bb_lower', bb_lower, 'bb_middle', bb_middle)` },
];

export const signalsModel: Model = {
  name: 'signals',
  description: 'SMA 20/50 and MACD crosses, RSI 70/30, Bollinger breakouts from gold/indicators',
  inputs: ['gold/indicators'],
  output: GOLD_SIGNALS,
  materialization: 'partitions',
  lookbackDays: 1,
  newestMonthByDay: true,
  rowsWithinPartitions: true,
  async build(ctx, into) {
    const relation = ctx.relation('gold/indicators');
    // A full build's rows (the indicators append them series by series) pair each window with the
    // one before it in scan order, without a sort; otherwise, or when the rows are not in that
    // order, a window sort pairs them.
    const previous = ctx.partitions === 'all' && (await inSeriesOrder(ctx.conn, relation)) ? byScanOrder(relation) : bySort(relation, inputRangeSql(ctx.partitions, 1));
    // One pass over the paired rows: each row that crosses anything yields one row per rule it
    // meets (unnest), instead of materialising every paired row for a scan per rule.
    const byKind = (f: (r: SignalRule) => string) => `CASE kind ${RULES.map((r) => `WHEN '${r.kind}' THEN ${f(r)}`).join(' ')} END`;
    const crossed = `SELECT *, unnest(list_filter([${RULES.map((r) => `CASE WHEN ${r.when} THEN '${r.kind}' END`).join(', ')}], k -> k IS NOT NULL)) AS kind
      FROM (${previous}) WHERE ${RULES.map((r) => `(${r.when})`).join(' OR ')}`;
    const select = `SELECT ${alertIdSql('kind')} AS alert_id, exchange, symbol, "interval", window_start, kind, ${byKind((r) => `'${r.severity}'`)} AS severity,
        CAST(${byKind((r) => r.value)} AS DOUBLE) AS value, CAST(${byKind((r) => r.threshold)} AS DOUBLE) AS threshold, ${byKind((r) => `CAST(${r.details} AS VARCHAR)`)} AS details
      FROM (${crossed})`;
    await ctx.conn.run(`CREATE OR REPLACE TABLE ${into} AS ${alertRowsSql(select, ctx, GOLD_SIGNALS)}`);
  },
  tests: [...ALERT_TESTS],
};

/** The indicator columns the rules read (of the rows named `alias`, or unqualified). */
function current(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `${a}exchange, ${a}symbol, ${a}"interval", ${a}window_start, CAST(${a}close AS DOUBLE) AS close, ${['sma_20', 'sma_50', 'macd', 'macd_signal', 'macd_hist', 'rsi_14', 'bb_upper', 'bb_middle', 'bb_lower'].map((c) => `${a}${c}`).join(', ')}`;
}

/** The previous window's columns the rules read, as `p_<column>`. */
const PREVIOUS = ['sma_20', 'sma_50', 'macd', 'macd_signal', 'rsi_14', 'close', 'bb_upper', 'bb_lower'] as const;
const previousColumn = (c: (typeof PREVIOUS)[number], alias = '') => (c === 'close' ? `CAST(${alias}close AS DOUBLE)` : `${alias}${c}`);

/** Each window with the previous window of its series (p_ columns; NULL for a series' first). */
function bySort(relation: string, where: string): string {
  return `SELECT ${current()}, ${PREVIOUS.map((c) => `lag(${previousColumn(c)}) OVER w AS p_${c}`).join(', ')} FROM ${relation} WHERE ${where}
    WINDOW w AS (PARTITION BY exchange, symbol, "interval" ORDER BY window_start)`;
}

/**
 * The same from rows in series order: lag over the rows as they come (`OVER ()`: DuckDB streams
 * it, no sort), kept when the previous row is of the same series (a series' first window has no
 * previous one, as lag gives none).
 */
function byScanOrder(relation: string): string {
  const key = ['exchange', 'symbol', '"interval"', 'window_start'];
  return `SELECT * EXCLUDE (p_exchange, p_symbol, p_interval, p_window_start) FROM (
      SELECT ${current()}, ${PREVIOUS.map((c) => `lag(${previousColumn(c)}) OVER () AS p_${c}`).join(', ')}, ${key.map((c) => `lag(${c}) OVER () AS p_${c.replaceAll('"', '')}`).join(', ')}
      FROM ${relation})
    WHERE p_exchange = exchange AND p_symbol = symbol AND p_interval = "interval" AND p_window_start < window_start`;
}

/**
 * Whether the rows, in the order a scan gives them, are in series order: by window_start within
 * each run of neighbouring rows of one series (no window after a later one), and each series in
 * one run (the runs begin with as many series as there are runs). The series are counted at the
 * runs' first rows: a DISTINCT over every row would cost as much again as the rest of the check
 * (~30 ms CPU for a year's 678,853 indicator rows).
 */
async function inSeriesOrder(conn: DuckDBConnection, relation: string): Promise<boolean> {
  const [check] = await queryJson(
    conn,
    `SELECT count(*) FILTER (same AND window_start <= p_window_start) AS unordered, count(*) FILTER (NOT same) AS runs,
        count(DISTINCT (exchange, symbol, "interval")) FILTER (NOT same) AS series
      FROM (SELECT exchange, symbol, "interval", window_start, p_window_start,
          coalesce(exchange = p_exchange AND symbol = p_symbol AND "interval" = p_interval, false) AS same FROM (
        SELECT exchange, symbol, "interval", window_start, lag(exchange) OVER () AS p_exchange, lag(symbol) OVER () AS p_symbol,
          lag("interval") OVER () AS p_interval, lag(window_start) OVER () AS p_window_start
        FROM ${relation}))`,
  );
  return Number(check.unordered) === 0 && Number(check.runs) > 0 && Number(check.runs) === Number(check.series);
}
