/**
 * Stages backfilled candles in DuckDB in the shape silver-writer.ts takes (STAGED_CANDLE_COLUMNS):
 * - klines (archive csv or REST): the 1m klines as they are, digit for digit, and 5m/15m/1h
 *   rolled up from the NON-EMPTY minutes only (open of the first, close of the last, max/min,
 *   sums); a window whose minutes are all empty carries the previous close, which Binance's
 *   empty 1m klines already hold (ARCHITECTURE.md, "Numbers": rolling up empty minutes' prices gives wrong highs and lows).
 * - trades / aggTrades: candle events from the streaming service's own operator (trades-candles.ts).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CandleEvent, Kline } from '../../common/events/index.ts';
import { STAGED_CANDLE_COLUMNS } from './silver-writer.ts';
import { decimalFromVarchar, sqlLiteral } from '../../lake/index.ts';

const RAW_KLINE_COLUMNS = ['open_time', 'open', 'high', 'low', 'close', 'volume', 'close_time', 'quote_volume', 'count', 'taker_buy_volume', 'taker_buy_quote_volume', 'ignore'];

/** Archive times are ms before 2025 and µs after (archive-layout.ts): told apart by magnitude. */
const MICROS = (col: string) => `(CASE WHEN ${col} >= 100000000000000 THEN ${col} ELSE ${col} * 1000 END)`;

export function stagingName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}

/** Drops staging tables and views (views first: they read the tables). */
export async function dropStaged(conn: DuckDBConnection, ...names: string[]): Promise<void> {
  const kinds = new Map<string, string>();
  const list = names.map(sqlLiteral).join(', ');
  for (const [n, kind] of (await conn.runAndReadAll(`SELECT table_name, table_type FROM information_schema.tables WHERE table_name IN (${list})`)).getRows()) kinds.set(String(n), String(kind));
  for (const n of names) if (kinds.get(n) === 'VIEW') await conn.run(`DROP VIEW ${n}`);
  for (const n of names) if (kinds.has(n) && kinds.get(n) !== 'VIEW') await conn.run(`DROP TABLE ${n}`);
}

/** Thrown when a csv row does not parse: the archive is corrupt. */
export class BadKlineRowsError extends Error {
  constructor(readonly badRows: number, readonly example: string) {
    super(`${badRows} kline row(s) do not parse, e.g. ${example}`);
    this.name = 'BadKlineRowsError';
  }
}

const KLINE_TYPES: Record<string, string> = { open_time: 'BIGINT', close_time: 'BIGINT', count: 'BIGINT' };

/** Silver's decimal types of the candle values. */
const DECIMALS = {
  open: [18, 8], high: [18, 8], low: [18, 8], close: [18, 8], volume: [38, 8], quote_volume: [38, 16], taker_buy_volume: [38, 8], taker_buy_quote_volume: [38, 16],
} as const;

/**
 * The candle values from text columns of the same names, exactly, with the lake's fast
 * conversion (DuckDB's own parsing of a DECIMAL(38,x), in its csv reader or a plain cast, is
 * ~50× slower and was most of a year's backfill), plus the volumes as doubles for the vwap's
 * estimate (lake vwapSql: converting the wide decimals to doubles later costs a HUGEINT division each).
 */
const TYPED_FROM_TEXT = [
  ...Object.entries(DECIMALS).map(([c, [p, s]]) => `${decimalFromVarchar(c, p, s)} AS ${c}`),
  `volume::DOUBLE AS volume_estimate`,
  `quote_volume::DOUBLE AS quote_volume_estimate`,
].join(', ');

/** The first bytes of a csv, or of a gzipped one (`.gz`: inflated as far as its first 4 KiB go). */
function firstBytes(file: string): Buffer {
  const head = Buffer.alloc(4096);
  const fd = fs.openSync(file, 'r');
  let n: number;
  try {
    n = fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (!file.endsWith('.gz') || n === 0) return head.subarray(0, n);
  try {
    return zlib.gunzipSync(head.subarray(0, n), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0); // not gzip after all: the read below reports it
  }
}

/**
 * Reads a klines csv (Binance's 12 columns, with or without a header row; plain or `.gz`) into a typed 1m table
 * `name`. The decimals are read as text and converted with the lake's fast exact conversion:
 * DuckDB's own parsing of DECIMAL(38,x) (in the csv reader or a plain cast) is ~50× slower, and
 * was most of a year's backfill. A value that is not a number fails the conversion, and a row
 * with missing columns is counted: the archive is corrupt.
 */
export async function loadKlinesCsv(conn: DuckDBConnection, csvFile: string, name: string): Promise<number> {
  const head = firstBytes(csvFile);
  const hasHeader = head.length > 0 && !/\d/.test(head.toString('utf8', 0, 1));
  const columns = `{${RAW_KLINE_COLUMNS.map((c) => `'${c}': '${KLINE_TYPES[c] ?? 'VARCHAR'}'`).join(', ')}}`;
  const raw = `read_csv(${sqlLiteral(csvFile)}, header = false, skip = ${hasHeader ? 1 : 0}, auto_detect = false, columns = ${columns}, null_padding = true)`;
  try {
    await conn.run(`CREATE TABLE ${name} AS SELECT ${MICROS('open_time')} AS window_start_us, count AS trade_count, ${TYPED_FROM_TEXT} FROM ${raw}`);
  } catch (err) {
    throw new BadKlineRowsError(1, (err as Error).message.split('\n')[0]);
  }
  const [[n, nulls]] = (await conn.runAndReadAll(`SELECT count(*), count(*) FILTER (WHERE window_start_us IS NULL OR open IS NULL OR close IS NULL OR volume IS NULL OR trade_count IS NULL) FROM ${name}`)).getRows();
  if (Number(nulls) > 0) throw new BadKlineRowsError(Number(nulls), 'rows with missing columns');
  return Number(n);
}

/** 1m klines (e.g. from REST) into a typed 1m table `name`, decimals passed as the exact strings. */
export async function loadKlines(conn: DuckDBConnection, klines: readonly Kline[], name: string): Promise<void> {
  const rawName = `${name}_raw`;
  await conn.run(`CREATE TABLE ${rawName} (ws BIGINT, open VARCHAR, high VARCHAR, low VARCHAR, close VARCHAR, volume VARCHAR, quote_volume VARCHAR, trade_count BIGINT,
    taker_buy_volume VARCHAR, taker_buy_quote_volume VARCHAR)`);
  const app = await conn.createAppender(rawName);
  for (const k of klines) {
    app.appendBigInt(BigInt(k.openTimeUs));
    for (const v of [k.open, k.high, k.low, k.close, k.volume, k.quoteVolume]) app.appendVarchar(v);
    app.appendBigInt(BigInt(k.tradeCount));
    app.appendVarchar(k.takerBuyVolume);
    app.appendVarchar(k.takerBuyQuoteVolume);
    app.endRow();
  }
  app.closeSync();
  await conn.run(`CREATE TABLE ${name} AS SELECT ws AS window_start_us, trade_count, ${TYPED_FROM_TEXT} FROM ${rawName}`);
  await conn.run(`DROP TABLE ${rawName}`);
}

function rollupSql(oneMinute: string, interval: string, minutes: number): string {
  const size = minutes * 60_000_000;
  const ne = `FILTER (WHERE trade_count > 0)`;
  const carried = `arg_max(close, window_start_us)`;
  return `SELECT '${interval}' AS "interval", (window_start_us // ${size}) * ${size} AS window_start_us, (window_start_us // ${size}) * ${size} + ${size} AS window_end_us,
      coalesce(arg_min(open, window_start_us) ${ne}, ${carried}) AS open, coalesce(max(high) ${ne}, ${carried}) AS high,
      coalesce(min(low) ${ne}, ${carried}) AS low, coalesce(arg_max(close, window_start_us) ${ne}, ${carried}) AS close,
      sum(volume) AS volume, sum(quote_volume) AS quote_volume, sum(trade_count)::BIGINT AS trade_count,
      sum(taker_buy_volume) AS taker_buy_volume, sum(taker_buy_quote_volume) AS taker_buy_quote_volume,
      NULL::BIGINT AS first_trade_id, NULL::BIGINT AS last_trade_id, sum(volume_estimate) AS volume_estimate, sum(quote_volume_estimate) AS quote_volume_estimate
    FROM ${oneMinute} GROUP BY ALL`;
}

/**
 * The staged candles (1m as they are + rollups) of a typed 1m table, as a view: the silver writer
 * materialises them once, in silver's shape (a staged copy in between cost a third of the
 * rollups' time again); counting them per day reads only their windows.
 */
export async function stageFromKlines(conn: DuckDBConnection, oneMinute: string, name: string): Promise<void> {
  await conn.run(`CREATE VIEW ${name} AS
    SELECT '1m' AS "interval", window_start_us, window_start_us + 60000000 AS window_end_us, open, high, low, close, volume, quote_volume, trade_count,
      taker_buy_volume, taker_buy_quote_volume, NULL::BIGINT AS first_trade_id, NULL::BIGINT AS last_trade_id, volume_estimate, quote_volume_estimate FROM ${oneMinute}
    UNION ALL ${rollupSql(oneMinute, '5m', 5)}
    UNION ALL ${rollupSql(oneMinute, '15m', 15)}
    UNION ALL ${rollupSql(oneMinute, '1h', 60)}`);
}

/** Candle events (from the candle operator) as a staged table. */
export async function stageCandleEvents(conn: DuckDBConnection, candles: readonly CandleEvent[], name: string): Promise<void> {
  const rawName = `${name}_raw`;
  await conn.run(`CREATE TABLE ${rawName} ("interval" VARCHAR, ws BIGINT, we BIGINT, open VARCHAR, high VARCHAR, low VARCHAR, close VARCHAR, volume VARCHAR, quote_volume VARCHAR,
    trade_count BIGINT, taker_buy_volume VARCHAR, taker_buy_quote_volume VARCHAR, first_trade_id BIGINT, last_trade_id BIGINT)`);
  const app = await conn.createAppender(rawName);
  for (const c of candles) {
    app.appendVarchar(c.interval);
    app.appendBigInt(BigInt(c.windowStartUs));
    app.appendBigInt(BigInt(c.windowEndUs));
    for (const v of [c.open, c.high, c.low, c.close, c.volume, c.quoteVolume]) app.appendVarchar(v);
    app.appendBigInt(BigInt(c.tradeCount));
    app.appendVarchar(c.takerBuyVolume);
    app.appendVarchar(c.takerBuyQuoteVolume);
    if (c.firstTradeId === null) app.appendNull();
    else app.appendBigInt(BigInt(c.firstTradeId));
    if (c.lastTradeId === null) app.appendNull();
    else app.appendBigInt(BigInt(c.lastTradeId));
    app.endRow();
  }
  app.closeSync();
  await conn.run(`CREATE TABLE ${name} AS SELECT "interval", ws AS window_start_us, we AS window_end_us, trade_count, first_trade_id, last_trade_id, ${TYPED_FROM_TEXT} FROM ${rawName}`);
  await conn.run(`DROP TABLE ${rawName}`);
}

export { STAGED_CANDLE_COLUMNS };
