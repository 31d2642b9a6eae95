/**
 * `gold/signals` (SQL): crossings read off gold/indicators, each raised on the window where it
 * happens (the previous window of the same series is on the other side): SMA 20 over / under
 * SMA 50, MACD over / under its signal, RSI entering above 70 / below 30, the close breaking out
 * of the Bollinger bands. Warm-up windows (NULL indicators) raise nothing.
 */
import type { Model } from '../model.ts';
import { inputRangeSql } from '../partitions.ts';
import { ALERT_TESTS, alertIdSql, alertTableDefinition, withDerivedColumns, withRaisedAt } from './alert-columns.ts';

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
  sql: (ctx) => {
    const lagged = `SELECT exchange, symbol, "interval", window_start, CAST(close AS DOUBLE) AS close, sma_20, sma_50, macd, macd_signal, macd_hist, rsi_14, bb_upper, bb_middle, bb_lower,
        lag(sma_20) OVER w AS p_sma_20, lag(sma_50) OVER w AS p_sma_50, lag(macd) OVER w AS p_macd, lag(macd_signal) OVER w AS p_macd_signal,
        lag(rsi_14) OVER w AS p_rsi_14, lag(CAST(close AS DOUBLE)) OVER w AS p_close, lag(bb_upper) OVER w AS p_bb_upper, lag(bb_lower) OVER w AS p_bb_lower
      FROM ${ctx.relation('gold/indicators')} WHERE ${inputRangeSql(ctx.partitions, 1)}
      WINDOW w AS (PARTITION BY exchange, symbol, "interval" ORDER BY window_start)`;
    // One pass over the lagged rows: each row that crosses anything yields one row per rule it
    // meets (unnest), instead of materialising every lagged row for a scan per rule.
    const byKind = (f: (r: SignalRule) => string) => `CASE kind ${RULES.map((r) => `WHEN '${r.kind}' THEN ${f(r)}`).join(' ')} END`;
    const crossed = `SELECT *, unnest(list_filter([${RULES.map((r) => `CASE WHEN ${r.when} THEN '${r.kind}' END`).join(', ')}], k -> k IS NOT NULL)) AS kind
      FROM (${lagged}) WHERE ${RULES.map((r) => `(${r.when})`).join(' OR ')}`;
    const select = `SELECT ${alertIdSql('kind')} AS alert_id, exchange, symbol, "interval", window_start, kind, ${byKind((r) => `'${r.severity}'`)} AS severity,
        CAST(${byKind((r) => r.value)} AS DOUBLE) AS value, CAST(${byKind((r) => r.threshold)} AS DOUBLE) AS threshold, ${byKind((r) => `CAST(${r.details} AS VARCHAR)`)} AS details
      FROM (${crossed})`;
    return withDerivedColumns(withRaisedAt(select, 'gold_signals', ctx.outputHasRows, ctx.nowUs, inputRangeSql(ctx.partitions, 0)), GOLD_SIGNALS);
  },
  tests: [...ALERT_TESTS],
};
