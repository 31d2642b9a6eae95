/**
 * The data.binance.vision layout: file names, URL paths, and the timestamp unit rule.
 *
 *   data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2017-08-17.zip
 *   data/spot/monthly/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-01.zip
 *   data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip
 *
 * Each zip holds one csv of the same name and has a sibling `<zip>.CHECKSUM` holding
 * `<sha256>  <file name>`.
 */
import { KLINE_INTERVALS, type KlineInterval } from '../../common/events/index.ts';

export type ArchiveKind = 'trades' | 'aggTrades' | 'klines';
export type ArchivePeriod = 'daily' | 'monthly';

export interface ArchiveFile {
  readonly symbol: string;
  readonly kind: ArchiveKind;
  /** Only for klines. */
  readonly interval?: KlineInterval;
  readonly period: ArchivePeriod;
  /** `YYYY-MM-DD` (daily) or `YYYY-MM` (monthly). */
  readonly date: string;
  readonly extension: 'zip' | 'csv';
}

const NAME = /^([A-Z0-9]+)-([A-Za-z0-9]+)-(\d{4}-\d{2}(?:-\d{2})?)\.(zip|csv)$/;

/** Parses a data.binance.vision file name; undefined when it does not follow the layout. */
export function parseArchiveFileName(fileName: string): ArchiveFile | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const m = NAME.exec(base);
  if (!m) return undefined;
  const [, symbol, middle, date, extension] = m;
  const period: ArchivePeriod = date.length === 10 ? 'daily' : 'monthly';
  const ext = extension as 'zip' | 'csv';
  if (middle === 'trades' || middle === 'aggTrades') return { symbol, kind: middle, period, date, extension: ext };
  if ((KLINE_INTERVALS as readonly string[]).includes(middle)) return { symbol, kind: 'klines', interval: middle as KlineInterval, period, date, extension: ext };
  return undefined;
}

export function archiveFileName(f: Omit<ArchiveFile, 'extension'> & { extension?: 'zip' | 'csv' }): string {
  const middle = f.kind === 'klines' ? f.interval : f.kind;
  if (!middle) throw new Error('a klines archive needs an interval');
  return `${f.symbol}-${middle}-${f.date}.${f.extension ?? 'zip'}`;
}

/** The path below the site root, e.g. `data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2017-08-17.zip`. */
export function archivePath(f: Omit<ArchiveFile, 'extension'>): string {
  const dir = f.kind === 'klines' ? `klines/${f.symbol}/${f.interval}` : `${f.kind}/${f.symbol}`;
  return `data/spot/${f.period}/${dir}/${archiveFileName({ ...f, extension: 'zip' })}`;
}

/** The archive's URL under a base such as `https://data.binance.vision` or a local mirror. */
export function archiveUrl(baseUrl: string, f: Omit<ArchiveFile, 'extension'>): string {
  return `${baseUrl.replace(/\/+$/, '')}/${archivePath(f)}`;
}

/**
 * Archive timestamps are epoch milliseconds before 2025-01-01 and microseconds from then on.
 * Told apart by magnitude: 1e14 ms is the year 5138, 1e14 µs is 1973, so no real time of
 * either unit falls on the wrong side.
 */
export const MICROSECOND_THRESHOLD = 1e14;

export function archiveTimeToMicros(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not an epoch timestamp: ${JSON.stringify(raw)}`);
  return n >= MICROSECOND_THRESHOLD ? n : n * 1000;
}
