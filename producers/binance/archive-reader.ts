/**
 * Reads Binance public archives (data.binance.vision spot `trades`, `aggTrades`, `klines`; zip or
 * csv; with or without a header row; ms or µs timestamps) as async iterators of normalised
 * events, in constant memory. Decimal strings pass through exactly as in the file. A row that
 * does not parse goes to `onInvalidRow` (the caller dead-letters it) and reading continues.
 *
 * Columns (no header in Binance's files; some mirrors add one):
 *   trades:    id, price, qty, quote_qty, time, is_buyer_maker, is_best_match
 *   aggTrades: agg_trade_id, price, qty, first_trade_id, last_trade_id, time, is_buyer_maker, is_best_match
 *   klines:    open_time, open, high, low, close, volume, close_time, quote_volume, count,
 *              taker_buy_volume, taker_buy_quote_volume, ignore
 */
import { parse } from 'csv-parse';
import { DECIMAL_PATTERN, multiplyDecimals } from '../../common/decimal.ts';
import type { Kline, KlineInterval, TradeEvent } from '../../common/events/index.ts';
import { archiveTimeToMicros, parseArchiveFileName, type ArchiveKind } from './archive-layout.ts';
import { ArchiveError, openArchive, type ChecksumOutcome, type OpenArchiveOptions } from './archive-source.ts';

export interface InvalidRow {
  readonly location: string;
  /** 1-based line number in the csv. */
  readonly line: number;
  readonly raw: string;
  readonly reason: string;
}

export interface ReadArchiveOptions extends OpenArchiveOptions {
  /** The layout; by default taken from the data.binance.vision file name. */
  readonly kind?: ArchiveKind;
  /** The symbol; by default taken from the file name. */
  readonly symbol?: string;
  /** For klines: the interval; by default taken from the file name. */
  readonly interval?: KlineInterval;
  readonly exchange?: string;
  readonly onInvalidRow?: (row: InvalidRow) => void | Promise<void>;
  /** Told once the archive is open (checksum outcome), before the first row. */
  readonly onOpen?: (info: { checksum: ChecksumOutcome; entryName: string }) => void;
}

class RowError extends Error {}

const INTEGER = /^\d+$/;

function decimal(value: string | undefined, column: string): string {
  if (value === undefined || !DECIMAL_PATTERN.test(value)) throw new RowError(`${column}: not a decimal number: ${JSON.stringify(value)}`);
  return value;
}

function integer(value: string | undefined, column: string): number {
  const n = value !== undefined && INTEGER.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new RowError(`${column}: not an integer: ${JSON.stringify(value)}`);
  return n;
}

function time(value: string | undefined, column: string): number {
  try {
    return archiveTimeToMicros(value ?? '');
  } catch (err) {
    throw new RowError(`${column}: ${(err as Error).message}`);
  }
}

function bool(value: string | undefined, column: string): boolean {
  if (value === 'True' || value === 'true') return true;
  if (value === 'False' || value === 'false') return false;
  throw new RowError(`${column}: not a boolean: ${JSON.stringify(value)}`);
}

function columns(fields: readonly string[], n: number): void {
  if (fields.length < n) throw new RowError(`expected at least ${n} columns, got ${fields.length}`);
}

function resolveLayout(location: string, opts: ReadArchiveOptions) {
  const fromName = parseArchiveFileName(location.split('?')[0]);
  const kind = opts.kind ?? fromName?.kind;
  const symbol = opts.symbol ?? fromName?.symbol;
  if (!kind || !symbol) {
    throw new ArchiveError(`${location} is not named like a data.binance.vision file (e.g. BTCUSDT-trades-2017-08-17.zip): give the layout and symbol`);
  }
  if (!/^[A-Z0-9]+$/.test(symbol)) throw new ArchiveError(`not a Binance symbol: ${symbol}`);
  return { kind, symbol, interval: opts.interval ?? fromName?.interval };
}

/** Every csv row of the archive as fields plus its raw text, headers skipped. */
async function* csvRows(location: string, opts: ReadArchiveOptions): AsyncGenerator<{ fields: string[]; raw: string; line: number }> {
  const archive = await openArchive(location, opts);
  opts.onOpen?.({ checksum: archive.checksum, entryName: archive.entryName });
  const parser = parse({ raw: true, skip_empty_lines: true, relax_column_count: true, trim: true });
  archive.csv.on('error', (err) => parser.destroy(err));
  archive.csv.pipe(parser);
  let line = 0;
  try {
    for await (const { record, raw } of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      line += 1;
      // A header row names its columns; data rows start with a number (an id or a time).
      if (line === 1 && record.length > 0 && !/^\d/.test(record[0])) continue;
      yield { fields: record, raw: raw.replace(/\r?\n$/, ''), line };
    }
  } finally {
    parser.destroy();
    archive.csv.destroy();
    await archive.close();
  }
}

/**
 * The layout and symbol of a trades or aggTrades archive, from its name or `opts`; an
 * ArchiveError a person can act on otherwise (checked before any download or connection).
 */
export function tradesArchiveLayout(location: string, opts: Pick<ReadArchiveOptions, 'kind' | 'symbol'> = {}): { kind: 'trades' | 'aggTrades'; symbol: string } {
  const { kind, symbol } = resolveLayout(location, opts);
  if (kind === 'klines') {
    throw new ArchiveError(`${location} is a klines (candles) archive, not trades or aggTrades: replay publishes trades; klines go into the lake through a klines backfill`);
  }
  return { kind, symbol };
}

/** Trades or aggTrades of an archive as TradeEvents (source `archive`). */
export async function* readArchiveTrades(location: string, opts: ReadArchiveOptions = {}): AsyncGenerator<TradeEvent> {
  const { kind, symbol } = tradesArchiveLayout(location, opts);
  const exchange = opts.exchange ?? 'binance';
  for await (const row of csvRows(location, opts)) {
    let event: TradeEvent;
    try {
      const f = row.fields;
      if (kind === 'trades') {
        columns(f, 6);
        event = {
          v: 1, exchange, symbol, kind: 'trade',
          tradeId: integer(f[0], 'id'),
          price: decimal(f[1], 'price'),
          qty: decimal(f[2], 'qty'),
          quoteQty: decimal(f[3], 'quote_qty'),
          tradeTimeUs: time(f[4], 'time'),
          isBuyerMaker: bool(f[5], 'is_buyer_maker'),
          receivedAtUs: Date.now() * 1000,
          source: 'archive',
        };
      } else {
        columns(f, 7);
        const price = decimal(f[1], 'price');
        const qty = decimal(f[2], 'qty');
        const firstTradeId = integer(f[3], 'first_trade_id');
        const lastTradeId = integer(f[4], 'last_trade_id');
        if (firstTradeId > lastTradeId) throw new RowError(`first_trade_id ${firstTradeId} > last_trade_id ${lastTradeId}`);
        event = {
          v: 1, exchange, symbol, kind: 'aggTrade',
          tradeId: integer(f[0], 'agg_trade_id'),
          firstTradeId,
          lastTradeId,
          price,
          qty,
          // aggTrade archives carry no quote quantity: the exact product.
          quoteQty: multiplyDecimals(price, qty),
          tradeTimeUs: time(f[5], 'time'),
          isBuyerMaker: bool(f[6], 'is_buyer_maker'),
          receivedAtUs: Date.now() * 1000,
          source: 'archive',
        };
      }
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      await opts.onInvalidRow?.({ location, line: row.line, raw: row.raw, reason: `${kind} row ${row.line}: ${err.message}` });
      continue;
    }
    yield event;
  }
}

/** Klines of an archive, normalised (times in µs). */
export async function* readArchiveKlines(location: string, opts: ReadArchiveOptions = {}): AsyncGenerator<Kline> {
  const { kind, symbol, interval } = resolveLayout(location, { ...opts, kind: opts.kind ?? 'klines' });
  if (kind !== 'klines') throw new ArchiveError(`${location} is a ${kind} archive, not klines`);
  if (!interval) throw new ArchiveError(`the kline interval of ${location} is unknown: give it`);
  const exchange = opts.exchange ?? 'binance';
  for await (const row of csvRows(location, opts)) {
    let kline: Kline;
    try {
      const f = row.fields;
      columns(f, 11);
      kline = {
        v: 1, exchange, symbol, interval,
        openTimeUs: time(f[0], 'open_time'),
        open: decimal(f[1], 'open'),
        high: decimal(f[2], 'high'),
        low: decimal(f[3], 'low'),
        close: decimal(f[4], 'close'),
        volume: decimal(f[5], 'volume'),
        closeTimeUs: time(f[6], 'close_time'),
        quoteVolume: decimal(f[7], 'quote_volume'),
        tradeCount: integer(f[8], 'count'),
        takerBuyVolume: decimal(f[9], 'taker_buy_volume'),
        takerBuyQuoteVolume: decimal(f[10], 'taker_buy_quote_volume'),
      };
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      await opts.onInvalidRow?.({ location, line: row.line, raw: row.raw, reason: `klines row ${row.line}: ${err.message}` });
      continue;
    }
    yield kline;
  }
}
