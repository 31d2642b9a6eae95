/**
 * Test helpers that put real reference data into a lake the way the platform's writers would:
 * Binance kline archives into `silver/candles` (as final candles, with the larger intervals that
 * streaming would also build, rolled up by Binance's rule), Binance trade archives into
 * `bronze/trades`. Each load is one lake commit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yauzl from 'yauzl';
import { sqlLiteral, withLakeConnection, type Lake } from '../../lake/index.ts';
import { vwapSql } from '../../transforms/index.ts';

/** Extracts the one csv of a data.binance.vision zip into a scratch directory; returns its path. */
export async function extractZipCsv(zipFile: string, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marketlake-zip-'))): Promise<string> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(zipFile, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z!))));
  return new Promise((resolve, reject) => {
    zip.once('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(err);
        const out = path.join(dir, path.basename(entry.fileName));
        stream.pipe(fs.createWriteStream(out)).once('finish', () => {
          zip.close();
          resolve(out);
        });
      });
    });
    zip.once('error', reject);
    zip.readEntry();
  });
}

const INTERVAL_MS: Record<string, number> = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000 };

export interface KlineLoadOptions {
  readonly symbol?: string;
  readonly exchange?: string;
  /** The file's interval (default 1m). */
  readonly interval?: '1m' | '1h';
  /** Also write these intervals, rolled up from the file's rows. */
  readonly rollUp?: readonly ('5m' | '15m' | '1h')[];
  /** An SQL filter over the kline columns (`open_time` in ms, `open` ... as text). */
  readonly where?: string;
  /** A SELECT-list rewrite hook: SQL over relation `k` returning the kline columns (to plant changes). */
  readonly transform?: string;
  /** The candles' revision (default 0): a higher one revises candles loaded before. */
  readonly revision?: number;
}

const KLINE_COLUMNS = `{'open_time': 'BIGINT', 'open': 'VARCHAR', 'high': 'VARCHAR', 'low': 'VARCHAR', 'close': 'VARCHAR', 'volume': 'VARCHAR', 'close_time': 'BIGINT', 'quote_volume': 'VARCHAR', 'count': 'BIGINT', 'taker_buy_volume': 'VARCHAR', 'taker_buy_quote_volume': 'VARCHAR', 'ignore': 'VARCHAR'}`;

/** Loads a Binance kline csv (or .csv.gz) into silver/candles; returns the rows written. */
export async function loadKlinesIntoSilver(lake: Lake, csvFile: string, options: KlineLoadOptions = {}): Promise<number> {
  const symbol = options.symbol ?? 'BTCUSDT';
  const exchange = options.exchange ?? 'binance';
  const interval = options.interval ?? '1m';
  const base = `SELECT * FROM read_csv(${sqlLiteral(csvFile)}, header = false, columns = ${KLINE_COLUMNS})${options.where ? ` WHERE ${options.where}` : ''}`;
  const klines = options.transform ? `SELECT * FROM (${options.transform.replace(/\{\{\s*klines\s*\}\}/g, `(${base})`)})` : base;
  const typed = `SELECT open_time, open::DECIMAL(18,8) AS open, high::DECIMAL(18,8) AS high, low::DECIMAL(18,8) AS low, close::DECIMAL(18,8) AS close,
      volume::DECIMAL(38,8) AS volume, quote_volume::DECIMAL(38,16) AS quote_volume, count AS trade_count,
      taker_buy_volume::DECIMAL(38,8) AS taker_buy_volume, taker_buy_quote_volume::DECIMAL(38,16) AS taker_buy_quote_volume FROM (${klines})`;
  const asSilver = (iv: string, src: string) => `SELECT ${sqlLiteral(exchange)} AS exchange, ${sqlLiteral(symbol)} AS symbol, ${sqlLiteral(iv)} AS "interval",
      make_timestamptz(open_time * 1000) AS window_start, make_timestamptz((open_time + ${INTERVAL_MS[iv]}) * 1000) AS window_end,
      open, high, low, close, volume, quote_volume,
      -- Exactly as silver's contract states it (a quotient in doubles differs in the last places, and the quality checks compare exactly).
      ${vwapSql('quote_volume', 'volume')} AS vwap,
      trade_count, taker_buy_volume, taker_buy_quote_volume, NULL::BIGINT AS first_trade_id, NULL::BIGINT AS last_trade_id,
      ${Math.floor(options.revision ?? 0)}::BIGINT AS revision, true AS is_final, make_timestamptz((open_time + ${INTERVAL_MS[iv]}) * 1000) AS finalized_at, 'klines' AS source
    FROM (${src})`;
  const rolled = (iv: string) => `SELECT (open_time // ${INTERVAL_MS[iv]}) * ${INTERVAL_MS[iv]} AS open_time,
      coalesce(arg_min(open, open_time) FILTER (WHERE trade_count > 0), arg_max(close, open_time)) AS open,
      coalesce(max(high) FILTER (WHERE trade_count > 0), arg_max(close, open_time)) AS high,
      coalesce(min(low) FILTER (WHERE trade_count > 0), arg_max(close, open_time)) AS low,
      arg_max(close, open_time) AS close, sum(volume) AS volume, sum(quote_volume) AS quote_volume, sum(trade_count)::BIGINT AS trade_count,
      sum(taker_buy_volume) AS taker_buy_volume, sum(taker_buy_quote_volume) AS taker_buy_quote_volume
    FROM typed GROUP BY 1`;
  const parts = [asSilver(interval, 'SELECT * FROM typed'), ...(options.rollUp ?? []).map((iv) => asSilver(iv, rolled(iv)))];
  const table = await lake.table('silver/candles');
  return withLakeConnection(async (conn) => {
    await conn.run(`CREATE OR REPLACE TEMP TABLE typed AS ${typed}`);
    try {
      const result = await table.appendFromSql(conn, parts.join(' UNION ALL '));
      return result.rows;
    } finally {
      await conn.run('DROP TABLE IF EXISTS temp.typed');
    }
  });
}

/** Loads a Binance trades csv (id, price, qty, quote_qty, time ms, is_buyer_maker, is_best_match) into bronze/trades. */
export async function loadTradesIntoBronze(lake: Lake, csvFile: string, options: { symbol?: string; exchange?: string } = {}): Promise<number> {
  const table = await lake.table('bronze/trades');
  const sql = `SELECT ${sqlLiteral(options.exchange ?? 'binance')} AS exchange, ${sqlLiteral(options.symbol ?? 'BTCUSDT')} AS symbol, 'trade' AS kind,
      id AS trade_id, NULL::BIGINT AS first_trade_id, NULL::BIGINT AS last_trade_id,
      price::DECIMAL(18,8) AS price, qty::DECIMAL(18,8) AS qty, quote_qty::DECIMAL(38,16) AS quote_qty, is_buyer_maker,
      make_timestamptz(time * 1000) AS trade_time, make_timestamptz(time * 1000) AS received_at, 'archive' AS source
    FROM read_csv(${sqlLiteral(csvFile)}, header = false, columns = {'id': 'BIGINT', 'price': 'VARCHAR', 'qty': 'VARCHAR', 'quote_qty': 'VARCHAR', 'time': 'BIGINT', 'is_buyer_maker': 'BOOLEAN', 'is_best_match': 'BOOLEAN'})`;
  return withLakeConnection(async (conn) => (await table.appendFromSql(conn, sql)).rows);
}
