/**
 * `gold/alerts` (SQL, and TypeScript for the volume surges): what deserves someone's attention, each alert once (deterministic
 * `alert_id`), with thresholds from GOLD_* (config.ts):
 * - `price_spike`: a window's log return is at least GOLD_PRICE_SPIKE_Z standard deviations from
 *   the mean of the previous GOLD_PRICE_SPIKE_WINDOW returns; the window right after a spike
 *   (its reversal) is part of the same event and raises nothing;
 * - `volume_surge`: a window's volume is at least GOLD_VOLUME_SURGE_RATIO times the median of the
 *   previous GOLD_VOLUME_SURGE_WINDOW volumes (again once per event);
 * - `whale_trade`: a minute with trades worth ≥ GOLD_WHALE_MIN_QUOTE (gold/whale_trades);
 * - the signals of GOLD_ALERT_SIGNAL_KINDS at GOLD_ALERT_SIGNAL_INTERVALS (gold/signals).
 * The rolling windows must fit in the lookback (3 days: e.g. 60 windows of 1h).
 *
 * The volume surges' rolling median is a linear pass over each series' volumes in TypeScript
 * (volume-surges.ts): DuckDB's windowed median cost more than the rest of the build.
 */
import { sqlLiteral } from '../../lake/index.ts';
import { appendColumns, type AppendColumn } from '../indicators/columnar.ts';
import type { Model } from '../model.ts';
import { inputRangeSql } from '../partitions.ts';
import { ALERT_TESTS, alertIdSql, alertTableDefinition, withDerivedColumns, withRaisedAt } from './alert-columns.ts';
import { seriesKeysSql } from './indicator-series.ts';
import { volumeSurges } from './volume-surges.ts';

export const GOLD_ALERTS = alertTableDefinition('gold/alerts', 'Alerts: price spikes, volume surges, whale trades and the signals worth alerting; each raised once.');

const list = (xs: readonly string[]) => xs.map(sqlLiteral).join(', ');
const raw = (v: ArrayBufferView): AppendColumn => ({ kind: 'raw', bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) });

export const alertsModel: Model = {
  name: 'alerts',
  description: 'price spikes (return z-score), volume surges (vs rolling median), whale trades, chosen signals',
  inputs: ['gold/indicators', 'gold/signals', 'gold/whale_trades'],
  output: GOLD_ALERTS,
  materialization: 'partitions',
  lookbackDays: 3,
  async build(ctx, into) {
    const { priceSpike, volumeSurge, whaleMinQuote, alertSignals } = ctx.config;
    const range = inputRangeSql(ctx.partitions, 3);
    const indicators = ctx.relation('gold/indicators');
    const spikeIn = `"interval" IN (${list(priceSpike.intervals)})`;
    // Spikes: each window with its rolling statistics and the start of the series' previous
    // window (one sort for all of them); an event is a spike whose previous window was none,
    // found among the few spike windows rather than by a second pass over every window. A window
    // counts once its frame is full (n = the window); the windows before that are a prefix of
    // each series, so the lag over every row sees the same previous window as a lag over those counted.
    const moves = `
      SELECT *, coalesce(n_spike = ${priceSpike.window} AND log_return IS NOT NULL AND abs(z) >= ${priceSpike.zScore}, false) AS spike FROM (
        SELECT *, (log_return - mu) / NULLIF(sd, 0) AS z FROM (
          SELECT exchange, symbol, "interval", window_start, log_return, lag(window_start) OVER s AS previous_start,
            avg(log_return) OVER ws AS mu, stddev_samp(log_return) OVER ws AS sd, count(log_return) OVER ws AS n_spike
          FROM ${indicators} WHERE ${range} AND ${spikeIn}
          WINDOW s AS (PARTITION BY exchange, symbol, "interval" ORDER BY window_start), ws AS (s ROWS BETWEEN ${priceSpike.window} PRECEDING AND 1 PRECEDING)
        )
      )`;
    const surges = await volumeSurges(ctx.conn, indicators, `${range} AND "interval" IN (${list(volumeSurge.intervals)})`, volumeSurge);
    const table = `${into}_surges`;
    await ctx.conn.run(`CREATE OR REPLACE TEMP TABLE ${table} (series INTEGER, window_start ${surges.windowStartType}, ratio DOUBLE, median DOUBLE, volume ${surges.volumeType})`);
    try {
      await appendColumns(ctx.conn, table, [raw(surges.series), { kind: 'raw', bytes: surges.windowStart }, { kind: 'double', values: surges.ratio }, { kind: 'double', values: surges.median }, { kind: 'raw', bytes: surges.volume }], surges.series.length);
      const whales = `
        SELECT exchange, symbol, '1m' AS "interval", make_timestamptz((epoch_us(trade_time) // 60000000) * 60000000) AS window_start,
          max(CAST(quote_qty AS DOUBLE)) AS largest, count(*) AS trades, sum(quote_qty) AS total_quote, arg_max(trade_id, quote_qty) AS largest_trade_id
        FROM ${ctx.relation('gold/whale_trades')} WHERE ${inputRangeSql(ctx.partitions, 0)} AND quote_qty >= ${Number(whaleMinQuote)}
        GROUP BY ALL`;
      const select = `WITH moves AS MATERIALIZED (SELECT * FROM (${moves}) WHERE spike)
        SELECT ${alertIdSql(`'price_spike'`)} AS alert_id, exchange, symbol, "interval", window_start, 'price_spike' AS kind,
          CASE WHEN abs(z) >= ${2 * priceSpike.zScore} THEN 'critical' ELSE 'warning' END AS severity, z AS value, ${priceSpike.zScore}::DOUBLE AS threshold,
          CAST(json_object('log_return', log_return, 'mean', mu, 'sd', sd, 'window', ${priceSpike.window}) AS VARCHAR) AS details
        FROM moves m WHERE NOT EXISTS (SELECT 1 FROM moves p WHERE p.exchange = m.exchange AND p.symbol = m.symbol AND p."interval" = m."interval" AND p.window_start = m.previous_start)
        UNION ALL
        SELECT ${alertIdSql(`'volume_surge'`)}, exchange, symbol, "interval", window_start, 'volume_surge', 'warning', ratio, ${volumeSurge.ratio}::DOUBLE,
          CAST(json_object('volume', CAST(volume AS VARCHAR), 'median', median, 'window', ${volumeSurge.window}) AS VARCHAR)
        FROM ${table} JOIN ${seriesKeysSql(surges.keys)} USING (series)
        UNION ALL
        SELECT ${alertIdSql(`'whale_trade'`)}, exchange, symbol, "interval", window_start, 'whale_trade', 'warning', largest, ${Number(whaleMinQuote)}::DOUBLE,
          CAST(json_object('trades', trades, 'total_quote', CAST(total_quote AS VARCHAR), 'largest_trade_id', largest_trade_id) AS VARCHAR)
        FROM (${whales})
        UNION ALL
        SELECT alert_id, exchange, symbol, "interval", window_start, kind, severity, value, threshold, details
        FROM ${ctx.relation('gold/signals')} WHERE ${inputRangeSql(ctx.partitions, 0)} AND kind IN (${list(alertSignals.kinds.length ? alertSignals.kinds : ['-'])}) AND "interval" IN (${list(alertSignals.intervals)})`;
      await ctx.conn.run(`CREATE OR REPLACE TABLE ${into} AS ${withDerivedColumns(withRaisedAt(select, 'gold_alerts', ctx.outputHasRows, ctx.nowUs, inputRangeSql(ctx.partitions, 0)), GOLD_ALERTS)}`);
    } finally {
      await ctx.conn.run(`DROP TABLE IF EXISTS ${table}`);
    }
  },
  tests: [...ALERT_TESTS],
};
