/**
 * `gold/alerts` (SQL): what deserves someone's attention, each alert once (deterministic
 * `alert_id`), with thresholds from GOLD_* (config.ts):
 * - `price_spike`: a window's log return is at least GOLD_PRICE_SPIKE_Z standard deviations from
 *   the mean of the previous GOLD_PRICE_SPIKE_WINDOW returns; the window right after a spike
 *   (its reversal) is part of the same event and raises nothing;
 * - `volume_surge`: a window's volume is at least GOLD_VOLUME_SURGE_RATIO times the median of the
 *   previous GOLD_VOLUME_SURGE_WINDOW volumes (again once per event);
 * - `whale_trade`: a minute with trades worth ≥ GOLD_WHALE_MIN_QUOTE (gold/whale_trades);
 * - the signals of GOLD_ALERT_SIGNAL_KINDS at GOLD_ALERT_SIGNAL_INTERVALS (gold/signals).
 * The rolling windows must fit in the lookback (3 days: e.g. 60 windows of 1h).
 */
import { sqlLiteral } from '../../lake/index.ts';
import type { Model } from '../model.ts';
import { inputRangeSql } from '../partitions.ts';
import { ALERT_TESTS, alertIdSql, alertTableDefinition, withRaisedAt } from './alert-columns.ts';

export const GOLD_ALERTS = alertTableDefinition('gold/alerts', 'Alerts: price spikes, volume surges, whale trades and the signals worth alerting; each raised once.');

const list = (xs: readonly string[]) => xs.map(sqlLiteral).join(', ');

export const alertsModel: Model = {
  name: 'alerts',
  description: 'price spikes (return z-score), volume surges (vs rolling median), whale trades, chosen signals',
  inputs: ['gold/indicators', 'gold/signals', 'gold/whale_trades'],
  output: GOLD_ALERTS,
  materialization: 'partitions',
  lookbackDays: 3,
  sql: (ctx) => {
    const { priceSpike, volumeSurge, whaleMinQuote, alertSignals } = ctx.config;
    const range = inputRangeSql(ctx.partitions, 3);
    // Spikes and surges in one pass over the indicators: one window sort for both rolling frames
    // and one for the lag that keeps an event's next window quiet (not two of each). A window
    // counts once its frame is full (n = the window); the windows before that are a prefix of each
    // series, so the lag over every row sees the same previous window as a lag over those counted.
    const spikeIn = `"interval" IN (${list(priceSpike.intervals)})`;
    const surgeIn = `"interval" IN (${list(volumeSurge.intervals)})`;
    // Each window with its rolling statistics and the start of the series' previous window (one
    // sort for all of them); an event is a spike (surge) whose previous window was none, found
    // among the few spike/surge windows rather than by a second pass over every window.
    const moves = `
      SELECT *, coalesce(${spikeIn} AND n_spike = ${priceSpike.window} AND log_return IS NOT NULL AND abs(z) >= ${priceSpike.zScore}, false) AS spike,
        coalesce(${surgeIn} AND n_surge = ${volumeSurge.window} AND ratio >= ${volumeSurge.ratio}, false) AS surge FROM (
        SELECT *, (log_return - mu) / NULLIF(sd, 0) AS z, CAST(volume AS DOUBLE) / NULLIF(med, 0) AS ratio FROM (
          SELECT exchange, symbol, "interval", window_start, log_return, volume, lag(window_start) OVER s AS previous_start,
            avg(log_return) OVER ws AS mu, stddev_samp(log_return) OVER ws AS sd, count(log_return) OVER ws AS n_spike,
            median(CASE WHEN ${surgeIn} THEN CAST(volume AS DOUBLE) END) OVER wv AS med, count(*) OVER wv AS n_surge
          FROM ${ctx.relation('gold/indicators')} WHERE ${range} AND (${spikeIn} OR ${surgeIn})
          WINDOW s AS (PARTITION BY exchange, symbol, "interval" ORDER BY window_start),
            ws AS (s ROWS BETWEEN ${priceSpike.window} PRECEDING AND 1 PRECEDING), wv AS (s ROWS BETWEEN ${volumeSurge.window} PRECEDING AND 1 PRECEDING)
        )
      )`;
    const firstOf = (flag: 'spike' | 'surge') => `${flag} AND NOT EXISTS (SELECT 1 FROM moves p WHERE p.${flag} AND p.exchange = m.exchange AND p.symbol = m.symbol AND p."interval" = m."interval" AND p.window_start = m.previous_start)`;
    const whales = `
      SELECT exchange, symbol, '1m' AS "interval", make_timestamptz((epoch_us(trade_time) // 60000000) * 60000000) AS window_start,
        max(CAST(quote_qty AS DOUBLE)) AS largest, count(*) AS trades, sum(quote_qty) AS total_quote, arg_max(trade_id, quote_qty) AS largest_trade_id
      FROM ${ctx.relation('gold/whale_trades')} WHERE ${inputRangeSql(ctx.partitions, 0)} AND quote_qty >= ${Number(whaleMinQuote)}
      GROUP BY ALL`;
    const select = `WITH moves AS MATERIALIZED (SELECT * FROM (${moves}) WHERE spike OR surge)
      SELECT ${alertIdSql(`'price_spike'`)} AS alert_id, exchange, symbol, "interval", window_start, 'price_spike' AS kind,
        CASE WHEN abs(z) >= ${2 * priceSpike.zScore} THEN 'critical' ELSE 'warning' END AS severity, z AS value, ${priceSpike.zScore}::DOUBLE AS threshold,
        CAST(json_object('log_return', log_return, 'mean', mu, 'sd', sd, 'window', ${priceSpike.window}) AS VARCHAR) AS details
      FROM moves m WHERE ${firstOf('spike')}
      UNION ALL
      SELECT ${alertIdSql(`'volume_surge'`)}, exchange, symbol, "interval", window_start, 'volume_surge', 'warning', ratio, ${volumeSurge.ratio}::DOUBLE,
        CAST(json_object('volume', CAST(volume AS VARCHAR), 'median', med, 'window', ${volumeSurge.window}) AS VARCHAR)
      FROM moves m WHERE ${firstOf('surge')}
      UNION ALL
      SELECT ${alertIdSql(`'whale_trade'`)}, exchange, symbol, "interval", window_start, 'whale_trade', 'warning', largest, ${Number(whaleMinQuote)}::DOUBLE,
        CAST(json_object('trades', trades, 'total_quote', CAST(total_quote AS VARCHAR), 'largest_trade_id', largest_trade_id) AS VARCHAR)
      FROM (${whales})
      UNION ALL
      SELECT alert_id, exchange, symbol, "interval", window_start, kind, severity, value, threshold, details
      FROM ${ctx.relation('gold/signals')} WHERE ${inputRangeSql(ctx.partitions, 0)} AND kind IN (${list(alertSignals.kinds.length ? alertSignals.kinds : ['-'])}) AND "interval" IN (${list(alertSignals.intervals)})`;
    return withRaisedAt(select, 'gold_alerts', ctx.outputHasRows, ctx.nowUs, inputRangeSql(ctx.partitions, 0));
  },
  tests: [...ALERT_TESTS],
};
