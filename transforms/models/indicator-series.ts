/**
 * gold/indicators' rows as typed arrays in series order (exchange, symbol, interval, then
 * window_start), for the models that compare each window with the windows before it in its series
 * (signals: the previous one; alerts: a rolling frame): one linear pass in TypeScript instead of
 * a DuckDB window sort per model.
 *
 * A full build hands its rows over in an in-memory table already in series order (the indicators
 * append them series by series, the key columns as ENUMs): read without ORDER BY, the order is
 * checked on the ENUM codes and the rows are sorted only when it does not hold. Other relations
 * (a run of some partitions: a few days of Parquet) are read with ORDER BY.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryJson, sqlLiteral } from '../../lake/index.ts';
import { rawColumn, readRawColumns, toDoubles, type RawColumn } from '../indicators/columnar.ts';

export interface SeriesKey {
  readonly exchange: string;
  readonly symbol: string;
  readonly interval: string;
}

export interface IndicatorSeries {
  /** Each series' key, in series order. */
  readonly keys: readonly SeriesKey[];
  /** Series k holds rows bounds[k] to bounds[k + 1] - 1, by window_start. */
  readonly bounds: Int32Array;
  readonly rows: number;
  /** window_start as stored (int64 µs), to write back unchanged. */
  readonly windowStart: RawColumn;
  /** The double columns asked for; NaN where NULL. */
  readonly doubles: Readonly<Record<string, Float64Array>>;
  /** The raw columns asked for (fixed width, never NULL), in DuckDB's layout. */
  readonly raw: Readonly<Record<string, RawColumn>>;
}

export interface SeriesRead {
  /** The relation (table name or parenthesised SELECT) and the filter on its rows. */
  readonly relation: string;
  readonly where: string;
  /** Output name → a DOUBLE expression over the relation's columns (NULL allowed). */
  readonly doubles: Readonly<Record<string, string>>;
  /** Output name → an expression of a fixed-width type without NULLs. */
  readonly raw?: Readonly<Record<string, string>>;
}

const KEY = ['exchange', 'symbol', 'interval'] as const;
const KEY_SQL = KEY.map((c) => `"${c}"`).join(', ');

export async function readIndicatorSeries(conn: DuckDBConnection, read: SeriesRead): Promise<IndicatorSeries> {
  const types = await queryJson(conn, `DESCRIBE SELECT ${KEY_SQL} FROM ${read.relation}`);
  const enums = types.length === KEY.length && types.every((t) => String(t.column_type).startsWith('ENUM'));
  const codes = (c: string) => (enums ? `, enum_code("${c}") AS "${c}_code"` : '');
  const keyRows = await queryJson(
    conn,
    `SELECT ${KEY.map((c) => `CAST("${c}" AS VARCHAR) AS "${c}_name"`).join(', ')}, count(*) AS n${KEY.map(codes).join('')}
      FROM ${read.relation} WHERE ${read.where} GROUP BY ${KEY_SQL} ORDER BY ${KEY_SQL}`,
  );
  const keys = keyRows.map((r) => ({ exchange: String(r.exchange_name), symbol: String(r.symbol_name), interval: String(r.interval_name) }));
  const bounds = new Int32Array(keys.length + 1);
  keyRows.forEach((r, k) => (bounds[k + 1] = bounds[k] + Number(r.n)));
  // NULL as NaN: the columnar reader takes columns without NULLs (gold stores no NaN: NaN is written as NULL).
  const doubles = Object.entries(read.doubles).map(([name, sql]) => `coalesce(CAST(${sql} AS DOUBLE), 'NaN'::DOUBLE) AS "${name}"`);
  const raw = Object.entries(read.raw ?? {}).map(([name, sql]) => `${sql} AS "${name}"`);
  const select = (ordered: boolean, withCodes: boolean) =>
    `SELECT window_start, ${[...doubles, ...raw].join(', ')}${withCodes ? KEY.map((c) => `, enum_code("${c}") AS "${c}_code"`).join('') : ''}
      FROM ${read.relation} WHERE ${read.where}${ordered ? ` ORDER BY ${KEY_SQL}, window_start` : ''}`;
  let result = await readRawColumns(conn, select(!enums, enums));
  if (enums && !inSeriesOrder(result, keyRows, bounds)) result = await readRawColumns(conn, select(true, false));
  if (result.rows !== bounds[keys.length]) throw new Error(`indicator series: read ${result.rows} rows, counted ${bounds[keys.length]}`);
  return {
    keys,
    bounds,
    rows: result.rows,
    windowStart: rawColumn(result, 'window_start'),
    doubles: Object.fromEntries(Object.keys(read.doubles).map((name) => [name, toDoubles(rawColumn(result, name))])),
    raw: Object.fromEntries(Object.keys(read.raw ?? {}).map((name) => [name, rawColumn(result, name)])),
  };
}

/** Whether rows read without ORDER BY are grouped by series in key order, each by window_start. */
function inSeriesOrder(read: { columns: readonly RawColumn[] }, keyRows: readonly Record<string, unknown>[], bounds: Int32Array): boolean {
  const codes = KEY.map((c) => rawColumn(read, `${c}_code`));
  // enum_code is the smallest unsigned integer that holds the ENUM's codes.
  const views = codes.map((c) => (c.width === 1 ? c.bytes : c.width === 2 ? new Uint16Array(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength / 2) : new Uint32Array(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength / 4)));
  const us = toDoubles(rawColumn(read, 'window_start'));
  for (let k = 0; k < keyRows.length; k++) {
    const want = KEY.map((c) => Number(keyRows[k][`${c}_code`]));
    for (let i = bounds[k]; i < bounds[k + 1]; i++) {
      if (views[0][i] !== want[0] || views[1][i] !== want[1] || views[2][i] !== want[2]) return false;
      if (i > bounds[k] && us[i] <= us[i - 1]) return false;
    }
  }
  return true;
}

/** A VALUES relation `(series, exchange, symbol, "interval")` of the series' keys, to join output rows to. */
export function seriesKeysSql(keys: readonly SeriesKey[]): string {
  if (keys.length === 0) return `(SELECT NULL::INTEGER AS series, NULL::VARCHAR AS exchange, NULL::VARCHAR AS symbol, NULL::VARCHAR AS "interval" WHERE false)`;
  return `(SELECT * FROM (VALUES ${keys.map((k, i) => `(${i}, ${sqlLiteral(k.exchange)}, ${sqlLiteral(k.symbol)}, ${sqlLiteral(k.interval)})`).join(', ')}) AS t(series, exchange, symbol, "interval"))`;
}
