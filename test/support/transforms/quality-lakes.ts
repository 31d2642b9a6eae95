/**
 * Real lakes for the data-quality tests, built from the repository's reference data:
 * - `oracleLake`: the 3,427 real BTCUSDT trades of 2017-08-17 in bronze/trades, and silver/candles
 *   (1m, 5m, 15m, 1h, empty minutes included) built from them by the streaming service's own candle
 *   operator, in process, exactly as the stream finalises them;
 * - `klinesLake`: Binance's real 1m klines of January 2024 in silver/candles, with their 5m, 15m
 *   and 1h rollups computed here (plain BigInt arithmetic, independent of the checks' SQL).
 * Each takes hooks that plant a defect in the rows before they are written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromScaled, toScaled } from '../../../common/decimal.ts';
import type { Kline, TradeEvent } from '../../../common/events/index.ts';
import { candleEventToRow, Lake, tradeEventToRow, type LakeRow } from '../../../lake/index.ts';
import { readArchiveKlines } from '../../../producers/index.ts';
import { CandleOperator } from '../../../streaming/index.ts';
import { fixturePath, KLINES_2024_DIR } from '../../fixtures/paths.ts';
import { dayEndSentinel, loadOracleTrades } from '../streaming/binance-oracle.ts';

const MINUTE_US = 60_000_000;

/** 2017-08-18 00:01 UTC: one minute after the oracle day, when every candle of it is final. */
export const ORACLE_NOW_US = Date.UTC(2017, 7, 18, 0, 1) * 1000;

export interface TestLake {
  readonly dir: string;
  readonly lake: Lake;
  cleanup(): void;
}

function tempLake(name: string, into?: string): TestLake {
  const dir = into ?? fs.mkdtempSync(path.join(os.tmpdir(), `ml-quality-${name}-`));
  return { dir, lake: new Lake(dir), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The oracle trades as bronze receives them: each arrives half a second after it happened. */
export function oracleTrades(): TradeEvent[] {
  return loadOracleTrades().map((t) => ({ ...t, receivedAtUs: t.tradeTimeUs + 500_000 }));
}

/** Silver candles of some trades, by the streaming service's operator (final candles, revision 0). */
export function streamCandles(trades: readonly TradeEvent[], maxFillGapMs?: number): LakeRow[] {
  const op = new CandleOperator({ maxFillGapMs });
  const sorted = [...trades].sort((a, b) => a.tradeTimeUs - b.tradeTimeUs || a.tradeId - b.tradeId);
  const lastUs = sorted.length > 0 ? sorted[sorted.length - 1].tradeTimeUs : 0;
  // Processing time follows event time, so the watermark never idles away.
  for (const t of sorted) op.add(t, 0, Math.floor(t.tradeTimeUs / 1000));
  // A trade of another symbol past the end of the last hour finalises every window up to it.
  const endUs = (Math.floor(lastUs / 3_600_000_000) + 1) * 3_600_000_000;
  const sentinel = { ...dayEndSentinel(), tradeTimeUs: endUs + 10_000_000 };
  op.add(sentinel, 0, Math.floor(sentinel.tradeTimeUs / 1000));
  return op
    .advance(Math.floor(sentinel.tradeTimeUs / 1000) + 1000)
    .filter((c) => c.symbol !== sentinel.symbol)
    .map(candleEventToRow);
}

export interface OracleLakeOptions {
  /** Plant a defect in the trades before they go to bronze. */
  readonly trades?: (trades: TradeEvent[]) => TradeEvent[];
  /** The trades the stream saw (default: bronze's): silver is built from these. */
  readonly streamed?: (trades: TradeEvent[]) => TradeEvent[];
  /** Plant a defect in the silver rows before they are written. */
  readonly candles?: (rows: LakeRow[]) => LakeRow[];
  /** Build the lake in this directory (default: a new temporary one). */
  readonly dir?: string;
  /** The stream's fill gap (default: the stream's default). */
  readonly maxFillGapMs?: number;
}

export async function oracleLake(opts: OracleLakeOptions = {}): Promise<TestLake> {
  const t = tempLake('oracle', opts.dir);
  const bronze = opts.trades ? opts.trades(oracleTrades()) : oracleTrades();
  const candles = streamCandles(opts.streamed ? opts.streamed(bronze.map((x) => ({ ...x }))) : bronze, opts.maxFillGapMs);
  await (await t.lake.table('bronze/trades')).append(bronze.map(tradeEventToRow));
  await (await t.lake.table('silver/candles')).append(opts.candles ? opts.candles(candles) : candles);
  return t;
}

/** The same trades as another symbol (for a second, independent symbol in one lake). */
export function asSymbol(trades: readonly TradeEvent[], symbol: string): TradeEvent[] {
  return trades.map((t) => ({ ...t, symbol }));
}

/** The klines of one data.binance.vision 1m archive. */
export async function archiveKlines(zipFile: string): Promise<Kline[]> {
  const out: Kline[] = [];
  for await (const k of readArchiveKlines(zipFile)) out.push(k);
  return out;
}

/** January 2024's real BTCUSDT 1m klines (44,640), from test/fixtures. */
export function january2024Klines(): Promise<Kline[]> {
  return archiveKlines(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'));
}

/** Silver rows of 1m klines: the minutes and their 5m/15m/1h rollups. */
export function klinesAsSilver(klines: readonly Kline[]): { minutes: LakeRow[]; rollups: LakeRow[] } {
  const minutes = klines.map((k) => klineToRow(k, k.openTimeUs + MINUTE_US + 1_000_000));
  return { minutes, rollups: (['5m', '15m', '1h'] as const).flatMap((i) => rollUp(minutes, i)) };
}

/** Loads whole monthly 1m archives into silver, one commit per month (benchmarks at real size). */
export async function loadKlineArchives(lake: Lake, zipFiles: readonly string[]): Promise<number> {
  const table = await lake.table('silver/candles');
  let rows = 0;
  for (const zip of zipFiles) {
    const { minutes, rollups } = klinesAsSilver(await archiveKlines(zip));
    await table.append([...minutes, ...rollups]);
    rows += minutes.length + rollups.length;
  }
  return rows;
}

/** VWAP as silver stores it: quote / volume rounded half-up to 16 places; null without volume. */
function vwapOf(quote: bigint, volume: bigint): string | null {
  if (volume === 0n) return null;
  return fromScaled((quote * 10n ** 8n * 2n + volume) / (2n * volume), 16);
}

/** A 1m kline as a silver row. */
export function klineToRow(k: Kline, finalizedAtUs: number): LakeRow {
  const volume = toScaled(k.volume, 8);
  const quote = toScaled(k.quoteVolume, 16);
  return {
    exchange: k.exchange, symbol: k.symbol, interval: '1m', window_start: k.openTimeUs, window_end: k.openTimeUs + MINUTE_US,
    open: k.open, high: k.high, low: k.low, close: k.close, volume: fromScaled(volume, 8), quote_volume: fromScaled(quote, 16),
    vwap: vwapOf(quote, volume), trade_count: k.tradeCount, taker_buy_volume: k.takerBuyVolume, taker_buy_quote_volume: k.takerBuyQuoteVolume,
    first_trade_id: null, last_trade_id: null, revision: 0, is_final: true, finalized_at: finalizedAtUs, source: 'klines',
  };
}

/**
 * The 5m/15m/1h rollups of complete groups of 1m rows: OHLC from the non-empty minutes only,
 * sums of volumes and counts; a window without trades carries its first minute's open.
 */
export function rollUp(minutes: readonly LakeRow[], interval: '5m' | '15m' | '1h'): LakeRow[] {
  const size = { '5m': 5, '15m': 15, '1h': 60 }[interval] * MINUTE_US;
  const groups = new Map<number, LakeRow[]>();
  for (const m of minutes) {
    const start = Math.floor(Number(m.window_start) / size) * size;
    let g = groups.get(start);
    if (!g) groups.set(start, (g = []));
    g.push(m);
  }
  const out: LakeRow[] = [];
  for (const [start, rows] of groups) {
    if (rows.length !== size / MINUTE_US) continue;
    rows.sort((a, b) => Number(a.window_start) - Number(b.window_start));
    const traded = rows.filter((r) => Number(r.trade_count) > 0);
    const price = (v: unknown) => toScaled(String(v), 8);
    const sum = (col: string, scale: number) => rows.reduce((s, r) => s + toScaled(String(r[col]), scale), 0n);
    const volume = sum('volume', 8);
    const quote = sum('quote_volume', 16);
    const carried = String(rows[0].open);
    const high = traded.length ? fromScaled(traded.map((r) => price(r.high)).reduce((a, b) => (b > a ? b : a)), 8) : carried;
    const low = traded.length ? fromScaled(traded.map((r) => price(r.low)).reduce((a, b) => (b < a ? b : a)), 8) : carried;
    out.push({
      ...rows[0], interval, window_start: start, window_end: start + size,
      open: traded.length ? traded[0].open : carried, high, low, close: traded.length ? traded[traded.length - 1].close : carried,
      volume: fromScaled(volume, 8), quote_volume: fromScaled(quote, 16), vwap: vwapOf(quote, volume),
      trade_count: rows.reduce((s, r) => s + Number(r.trade_count), 0),
      taker_buy_volume: fromScaled(sum('taker_buy_volume', 8), 8), taker_buy_quote_volume: fromScaled(sum('taker_buy_quote_volume', 16), 16),
    });
  }
  return out;
}

/** Jan 1..`days` of 2024 (end exclusive) as silver: the real 1m klines and their rollups. */
export const klinesNowUs = (days: number) => Date.UTC(2024, 0, 1 + days) * 1000;

export interface KlinesLakeOptions {
  readonly days?: number;
  /** Plant a defect in the 1m rows (rollups are computed from the planted rows unless `rollupsFrom: 'original'`). */
  readonly minutes?: (rows: LakeRow[]) => LakeRow[];
  readonly rollupsFrom?: 'planted' | 'original';
  /** Plant a defect in the rollup rows. */
  readonly rollups?: (rows: LakeRow[]) => LakeRow[];
  /** Build the lake in this directory (default: a new temporary one). */
  readonly dir?: string;
  /** The stream's fill gap (default: the stream's default). */
  readonly maxFillGapMs?: number;
}

export async function klinesLake(opts: KlinesLakeOptions = {}): Promise<TestLake & { nowUs: number; minutes: LakeRow[] }> {
  const days = opts.days ?? 10;
  const endUs = klinesNowUs(days);
  const klines = (await january2024Klines()).filter((k) => k.openTimeUs < endUs);
  const original = klines.map((k) => klineToRow(k, k.openTimeUs + MINUTE_US + 1_000_000));
  const minutes = opts.minutes ? opts.minutes(original.map((r) => ({ ...r }))) : original;
  const base = opts.rollupsFrom === 'original' ? original : minutes;
  let rollups = (['5m', '15m', '1h'] as const).flatMap((i) => rollUp(base, i));
  if (opts.rollups) rollups = opts.rollups(rollups);
  const t = tempLake('klines', opts.dir);
  await (await t.lake.table('silver/candles')).append([...minutes, ...rollups]);
  return { ...t, nowUs: endUs, minutes };
}

/** A recorded CoinGecko payload's own bitcoin entry (for the shape of ticker rows). */
export function coingeckoBitcoin(): { id: string; symbol: string; last_updated: string } {
  const markets = JSON.parse(fs.readFileSync(fixturePath('payloads', 'coingecko', 'coins-markets-top100-eur-2024-01-24.json'), 'utf8')) as { id: string; symbol: string; last_updated: string }[];
  return markets.find((m) => m.id === 'bitcoin')!;
}
