/**
 * The columns of `gold/signals` and `gold/alerts`, and the SQL both share: the deterministic
 * `alert_id` (kind, exchange, symbol, interval, window: a re-run, a candle revision or a backfill
 * computes the same id, so nothing is raised twice) and `raised_at`, kept from the first build
 * that raised the alert.
 */
import { viewName, type TableDefinition } from '../../lake/index.ts';
import type { BuildContext } from '../model.ts';
import { MONTH_COLUMN, filesHolding, monthColumn } from '../month-partitions.ts';
import { inputRangeSql, partitionFilterSql } from '../partitions.ts';
import { derivedColumnsSql } from '../derived-columns.ts';

export const ALERT_KINDS = [
  'price_spike',
  'volume_surge',
  'whale_trade',
  'sma_cross_up',
  'sma_cross_down',
  'macd_cross_up',
  'macd_cross_down',
  'rsi_overbought',
  'rsi_oversold',
  'bb_break_up',
  'bb_break_down',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const SEVERITIES = ['info', 'warning', 'critical'] as const;

/** Stored a file per (symbol, month): a day holds few rows (month-partitions.ts). */
export function alertTableDefinition(name: 'gold/signals' | 'gold/alerts', description: string): TableDefinition {
  return {
    name,
    description,
    columns: [
      { name: 'alert_id', type: 'string', nullable: false, comment: '<kind>:<exchange>:<symbol>:<interval>:<window_start ISO>: deterministic' },
      { name: 'exchange', type: 'string', nullable: false },
      { name: 'symbol', type: 'string', nullable: false },
      { name: 'interval', type: 'string', nullable: false },
      { name: 'window_start', type: 'timestamp', nullable: false },
      { name: 'kind', type: 'string', nullable: false },
      { name: 'severity', type: 'string', nullable: false, comment: 'info | warning | critical' },
      { name: 'value', type: 'double', comment: 'what was measured (z-score, volume ratio, quote amount, indicator value)' },
      { name: 'threshold', type: 'double', comment: 'what it was compared with' },
      { name: 'details', type: 'string', comment: 'JSON with the numbers behind the alert' },
      { name: 'raised_at', type: 'timestamp', nullable: false, comment: 'when a build first raised it (kept by later builds)' },
      { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(window_start)) AS DATE)` },
      monthColumn(),
    ],
    partitionColumns: ['symbol', MONTH_COLUMN],
  };
}

export function alertIdSql(kind: string, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  // The UTC wall-clock time as make_timestamp(epoch µs): the same text as AT TIME ZONE 'UTC', without a time zone lookup a row.
  return `concat_ws(':', ${kind}, ${a}exchange, ${a}symbol, ${a}"interval", strftime(make_timestamp(epoch_us(${a}window_start)), '%Y-%m-%dT%H:%M:%SZ'))`;
}

/**
 * Adds the table's derived `date` to its rows as they are computed: the runner adds a derived
 * column a model leaves out by rewriting the whole table afterwards (for the 128,606 signals of
 * a year, ~0.1 s CPU). (Not `month`: the writer derives it for the files.)
 */
function withDerivedColumns(select: string, def: TableDefinition): string {
  return `SELECT *, ${derivedColumnsSql(def).join(', ')} FROM (${select})`;
}

/**
 * Wraps a SELECT of alert rows (without raised_at) so that alerts already in `table` keep their
 * raised_at. The id names the alert's symbol and window, so an alert already raised lies in the
 * same (symbol, date): only the days being built are read, from the files holding them (in a run
 * of some days; not the view, which would bind every file of the table).
 */
function withRaisedAt(select: string, ctx: BuildContext, table: string): string {
  const now = `make_timestamptz(${Math.round(ctx.nowUs)}::BIGINT)`;
  if (!ctx.outputHasRows) return `SELECT *, ${now} AS raised_at FROM (${select})`;
  let source = viewName(table);
  if (ctx.partitions !== 'all') source = ctx.filesRelation(table, filesHolding(ctx.filesOf(table), ctx.partitions));
  return `SELECT n.*, coalesce(o.raised_at, ${now}) AS raised_at FROM (${select}) n
    LEFT JOIN (SELECT alert_id, min(raised_at) AS raised_at FROM ${source} WHERE ${inputRangeSql(ctx.partitions, 0)} GROUP BY 1) o USING (alert_id)`;
}

/**
 * An alert table's rows as a model builds them from a SELECT of alert rows (without raised_at):
 * raised_at kept for alerts already raised (withRaisedAt), the derived `date` added
 * (withDerivedColumns), and only the computed partitions' rows: the runner then neither filters
 * nor completes them (Model.rowsWithinPartitions), statements less on the hourly build's chain.
 */
export function alertRowsSql(select: string, ctx: BuildContext, def: TableDefinition): string {
  return `SELECT * FROM (${withDerivedColumns(withRaisedAt(select, ctx, def.name), def)}) WHERE ${partitionFilterSql(ctx.partitions)}`;
}

export const ALERT_TESTS = [
  { kind: 'unique', columns: ['alert_id'] },
  { kind: 'not_null', columns: ['alert_id', 'exchange', 'symbol', 'interval', 'window_start', 'kind', 'severity', 'raised_at'] },
  { kind: 'accepted_values', column: 'kind', values: [...ALERT_KINDS] },
  { kind: 'accepted_values', column: 'severity', values: [...SEVERITIES] },
] as const;
