/**
 * `gold/alerts` (TypeScript and SQL): what deserves someone's attention, each alert once (deterministic
 * `alert_id`), with thresholds from GOLD_* (config.ts):
 * - `price_spike`: a window's log return is at least GOLD_PRICE_SPIKE_Z standard deviations from
 *   the mean of the previous GOLD_PRICE_SPIKE_WINDOW returns; the window right after a spike
 *   (its reversal) is part of the same event and raises nothing;
 * - `volume_surge`: a window's volume is at least GOLD_VOLUME_SURGE_RATIO times the median of the
 *   previous GOLD_VOLUME_SURGE_WINDOW volumes (again once per event);
 * - `whale_trade`: a minute with trades worth ≥ GOLD_WHALE_MIN_QUOTE (gold/whale_trades);
 * - the signals of GOLD_ALERT_SIGNAL_KINDS at GOLD_ALERT_SIGNAL_INTERVALS (gold/signals).
 * The lookback is as many days as the rolling windows span (`alertsLookbackDays`): one for the
 * default 60 windows of 1m, three for 60 of 1h, 61 for 60 of 1d.
 *
 * In a full build the spikes' and surges' rolling frames are linear passes over each series in
 * TypeScript (price-spikes.ts, volume-surges.ts, reproducing DuckDB's numbers to the bit) rather
 * than DuckDB window sorts (its windowed median and segment trees were most of the build); a run
 * of some days computes the same events in SQL. DuckDB writes the alert rows from the events.
 */
import { sqlLiteral } from '../../lake/index.ts';
import { appendColumns, type AppendColumn } from '../indicators/columnar.ts';
import type { GoldConfig } from '../config.ts';
import type { BuildContext, Model } from '../model.ts';
import { inputRangeSql } from '../partitions.ts';
import { INTERVAL_MINUTES, type GoldInterval } from './candles-sql.ts';
import { ALERT_TESTS, alertIdSql, alertTableDefinition, alertRowsSql } from './alert-columns.ts';
import { readIndicatorSeries, seriesKeysSql } from './indicator-series.ts';
import { priceSpikes } from './price-spikes.ts';
import { volumeSurges } from './volume-surges.ts';

export const GOLD_ALERTS = alertTableDefinition('gold/alerts', 'Alerts: price spikes, volume surges, whale trades and the signals worth alerting; each raised once.');

const list = (xs: readonly string[]) => xs.map(sqlLiteral).join(', ');
const raw = (v: ArrayBufferView): AppendColumn => ({ kind: 'raw', bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) });
const double = (values: readonly number[]): AppendColumn => ({ kind: 'double', values: Float64Array.from(values) });

export const alertsModel: Model = {
  name: 'alerts',
  description: 'price spikes (return z-score), volume surges (vs rolling median), whale trades, chosen signals',
  inputs: ['gold/indicators', 'gold/signals', 'gold/whale_trades'],
  output: GOLD_ALERTS,
  materialization: 'partitions',
  lookbackDays: alertsLookbackDays,
  rowsWithinPartitions: true,
  async build(ctx, into) {
    const { priceSpike, volumeSurge, whaleMinQuote, alertSignals } = ctx.config;
    const table = `${into}_events`;
    // A full build finds the spikes and surges in TypeScript (eventsTable); a run of some days (a
    // few thousand windows, where a sort costs little and each query's round trip counts) in SQL.
    const events = ctx.partitions === 'all' ? `SELECT * FROM ${await eventsTable(ctx, table)}` : eventsSql(ctx);
    try {
      const whales = `
        SELECT exchange, symbol, '1m' AS "interval", make_timestamptz((epoch_us(trade_time) // 60000000) * 60000000) AS window_start,
          max(CAST(quote_qty AS DOUBLE)) AS largest, count(*) AS trades, sum(quote_qty) AS total_quote, arg_max(trade_id, quote_qty) AS largest_trade_id
        FROM ${ctx.relation('gold/whale_trades')} WHERE ${inputRangeSql(ctx.partitions, 0)} AND quote_qty >= ${Number(whaleMinQuote)}
        GROUP BY ALL`;
      // (Materialized: both kinds read it, and in SQL it is a window pass.)
      const select = `WITH events AS MATERIALIZED (${events})
        SELECT ${alertIdSql(`'price_spike'`)} AS alert_id, exchange, symbol, "interval", window_start, 'price_spike' AS kind,
          CASE WHEN abs(value) >= ${2 * priceSpike.zScore} THEN 'critical' ELSE 'warning' END AS severity, value, ${priceSpike.zScore}::DOUBLE AS threshold,
          CAST(json_object('log_return', a, 'mean', b, 'sd', c, 'window', ${priceSpike.window}) AS VARCHAR) AS details
        FROM events WHERE kind = ${SPIKE}
        UNION ALL
        SELECT ${alertIdSql(`'volume_surge'`)}, exchange, symbol, "interval", window_start, 'volume_surge', 'warning', value, ${volumeSurge.ratio}::DOUBLE,
          CAST(json_object('volume', CAST(volume AS VARCHAR), 'median', a, 'window', ${volumeSurge.window}) AS VARCHAR)
        FROM events WHERE kind = ${SURGE}
        UNION ALL
        SELECT ${alertIdSql(`'whale_trade'`)}, exchange, symbol, "interval", window_start, 'whale_trade', 'warning', largest, ${Number(whaleMinQuote)}::DOUBLE,
          CAST(json_object('trades', trades, 'total_quote', CAST(total_quote AS VARCHAR), 'largest_trade_id', largest_trade_id) AS VARCHAR)
        FROM (${whales})
        UNION ALL
        SELECT alert_id, exchange, symbol, "interval", window_start, kind, severity, value, threshold, details
        FROM ${ctx.relation('gold/signals')} WHERE ${inputRangeSql(ctx.partitions, 0)} AND kind IN (${list(alertSignals.kinds.length ? alertSignals.kinds : ['-'])}) AND "interval" IN (${list(alertSignals.intervals)})`;
      await ctx.conn.run(`CREATE OR REPLACE TABLE ${into} AS ${alertRowsSql(select, ctx, GOLD_ALERTS)}`);
    } finally {
      if (ctx.partitions === 'all') await ctx.conn.run(`DROP TABLE IF EXISTS ${table}`);
    }
  },
  tests: [...ALERT_TESTS],
};

/**
 * The whole days before a computed day that the spikes' and surges' rolling frames reach: the
 * day's first window needs the `window` windows before it for its own frame, and one more, whose
 * frame decides whether the first is the start of an event or the rest of one (its previous
 * window a spike too). A change to a day's windows likewise reaches this many days after it.
 */
export function alertsLookbackDays(config: GoldConfig): number {
  const reach = (rule: { window: number; intervals: readonly string[] }) =>
    Math.max(0, ...rule.intervals.map((i) => Math.ceil(((rule.window + 1) * INTERVAL_MINUTES[i as GoldInterval]) / INTERVAL_MINUTES['1d'])));
  return Math.max(reach(config.priceSpike), reach(config.volumeSurge));
}

/**
 * The spike and surge events, a row each: (exchange, symbol, interval, window_start, kind, value,
 * a, b, c, volume), kind SPIKE (value z, a the log return, b the frame's mean, c its sd) or SURGE
 * (value the ratio, a the frame's median).
 */
const SPIKE = 0;
const SURGE = 1;

/** The events found in TypeScript over the indicators' series, in a temp table named `table` (returned). */
async function eventsTable(ctx: BuildContext, table: string): Promise<string> {
  const { priceSpike, volumeSurge } = ctx.config;
  // One read of the windows of their intervals, in series order; the rolling frames are passes
  // over each series (price-spikes.ts, volume-surges.ts), not window sorts.
  const intervals = [...new Set([...priceSpike.intervals, ...volumeSurge.intervals])];
  const read = await readIndicatorSeries(ctx.conn, {
    relation: ctx.relation('gold/indicators'),
    where: `${inputRangeSql(ctx.partitions, alertsLookbackDays(ctx.config))} AND "interval" IN (${list(intervals)})`,
    doubles: { log_return: 'log_return', volume: 'volume' },
    raw: { volume_raw: 'volume' },
  });
  const ofIntervals = (xs: readonly string[]) => (k: number) => xs.includes(read.keys[k].interval);
  const spikes = priceSpikes(read, read.doubles.log_return, priceSpike, ofIntervals(priceSpike.intervals));
  const surges = volumeSurges(read, read.doubles.volume, volumeSurge, ofIntervals(volumeSurge.intervals));
  const rows = [...spikes.rows, ...surges.rows];
  const n = rows.length;
  const seriesOfRow = new Int32Array(read.rows);
  read.keys.forEach((_, k) => seriesOfRow.fill(k, read.bounds[k], read.bounds[k + 1]));
  const pick = (column: { width: number; bytes: Uint8Array }) => {
    const out = new Uint8Array(n * column.width);
    rows.forEach((i, e) => out.set(column.bytes.subarray(i * column.width, (i + 1) * column.width), e * column.width));
    return out;
  };
  const nan = (k: number) => new Array<number>(k).fill(NaN);
  const found = `${table}_found`;
  await ctx.conn.run(`CREATE OR REPLACE TEMP TABLE ${found} (series INTEGER, window_start ${read.windowStart.type}, kind UTINYINT, value DOUBLE, a DOUBLE, b DOUBLE, c DOUBLE, volume ${read.raw.volume_raw.type})`);
  try {
    await appendColumns(
      ctx.conn,
      found,
      [
        raw(Int32Array.from(rows, (i) => seriesOfRow[i])),
        raw(pick(read.windowStart)),
        raw(Uint8Array.from(rows, (_, e) => (e < spikes.rows.length ? SPIKE : SURGE))),
        double([...spikes.z, ...surges.ratio]),
        double([...spikes.rows.map((i) => read.doubles.log_return[i]), ...surges.median]),
        double([...spikes.mean, ...nan(surges.rows.length)]),
        double([...spikes.sd, ...nan(surges.rows.length)]),
        raw(pick(read.raw.volume_raw)),
      ],
      n,
    );
    await ctx.conn.run(`CREATE OR REPLACE TEMP TABLE ${table} AS SELECT exchange, symbol, "interval", window_start, kind, value, a, b, c, volume FROM ${found} JOIN ${seriesKeysSql(read.keys)} USING (series)`);
  } finally {
    await ctx.conn.run(`DROP TABLE IF EXISTS ${found}`);
  }
  return table;
}

/**
 * The same events in SQL: each window with its rolling statistics and the start of the series'
 * previous window (one sort for all of them); an event is a spike (surge) whose previous window
 * was none, found among the few spike/surge windows rather than by a second pass over every
 * window. A window counts once its frame is full (n = the window); the windows before that are a
 * prefix of each series, so the lag over every row sees the same previous window as a lag over those counted.
 */
function eventsSql(ctx: BuildContext): string {
  const { priceSpike, volumeSurge } = ctx.config;
  const spikeIn = `"interval" IN (${list(priceSpike.intervals)})`;
  const surgeIn = `"interval" IN (${list(volumeSurge.intervals)})`;
  const moves = `
    SELECT *, coalesce(${spikeIn} AND n_spike = ${priceSpike.window} AND log_return IS NOT NULL AND abs(z) >= ${priceSpike.zScore}, false) AS spike,
      coalesce(${surgeIn} AND n_surge = ${volumeSurge.window} AND ratio >= ${volumeSurge.ratio}, false) AS surge FROM (
      SELECT *, (log_return - mu) / NULLIF(sd, 0) AS z, CAST(volume AS DOUBLE) / NULLIF(med, 0) AS ratio FROM (
        SELECT exchange, symbol, "interval", window_start, log_return, volume, lag(window_start) OVER s AS previous_start,
          avg(log_return) OVER ws AS mu, stddev_samp(log_return) OVER ws AS sd, count(log_return) OVER ws AS n_spike,
          median(CASE WHEN ${surgeIn} THEN CAST(volume AS DOUBLE) END) OVER wv AS med, count(*) OVER wv AS n_surge
        FROM ${ctx.relation('gold/indicators')} WHERE ${inputRangeSql(ctx.partitions, alertsLookbackDays(ctx.config))} AND (${spikeIn} OR ${surgeIn})
        WINDOW s AS (PARTITION BY exchange, symbol, "interval" ORDER BY window_start),
          ws AS (s ROWS BETWEEN ${priceSpike.window} PRECEDING AND 1 PRECEDING), wv AS (s ROWS BETWEEN ${volumeSurge.window} PRECEDING AND 1 PRECEDING)
      )
    )`;
  const first = (flag: 'spike' | 'surge') => `${flag} AND NOT EXISTS (SELECT 1 FROM moves p WHERE p.${flag} AND p.exchange = m.exchange AND p.symbol = m.symbol AND p."interval" = m."interval" AND p.window_start = m.previous_start)`;
  return `WITH moves AS MATERIALIZED (SELECT * FROM (${moves}) WHERE spike OR surge)
    SELECT exchange, symbol, "interval", window_start, ${SPIKE} AS kind, z AS value, log_return AS a, mu AS b, sd AS c, volume FROM moves m WHERE ${first('spike')}
    UNION ALL
    SELECT exchange, symbol, "interval", window_start, ${SURGE}, ratio, med, NULL, NULL, volume FROM moves m WHERE ${first('surge')}`;
}
