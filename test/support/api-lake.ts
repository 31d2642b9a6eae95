/**
 * A real lake for the API's tests, written through the lake API from the repository's fixtures:
 * - silver/candles: Binance's own 1m klines of BTCUSDT for January 2024 (44,640 real candles) and
 *   for 2017-08-17, as final candles (revision 0);
 * - bronze/trades: the 3,427 real BTCUSDT trades of 2017-08-17;
 * - bronze/sentiment: the recorded Fear & Greed readings; bronze/news: the recorded CoinDesk RSS feed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lake, newsEventToRow, sentimentEventToRow, tradeEventToRow, type LakeRow } from '../../lake/index.ts';
import { parseFeed, readArchiveKlines, readArchiveTrades, toNewsEvent } from '../../producers/index.ts';
import type { Kline } from '../../common/events/index.ts';
import { vwapOf } from '../../api/routes/ohlc/ohlc-query.ts';
import { KLINES_2024_DIR, PAYLOADS_DIR, TRADES_2017_DIR } from '../fixtures/paths.ts';

export const JAN_2024_KLINES = path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip');
export const KLINES_2017 = path.join(TRADES_2017_DIR, 'BTCUSDT-1m-2017-08-17.csv');
export const TRADES_2017 = path.join(TRADES_2017_DIR, 'BTCUSDT-trades-2017-08-17.csv');

export async function readKlines(file: string, symbol = 'BTCUSDT'): Promise<Kline[]> {
  const out: Kline[] = [];
  for await (const k of readArchiveKlines(file, { symbol, interval: '1m' })) out.push(k);
  return out;
}

/** A Binance 1m kline as a final silver candle row. */
export function klineToSilverRow(k: Kline, symbol = k.symbol, finalizedAtUs = k.closeTimeUs + 1000): LakeRow {
  return {
    exchange: 'binance',
    symbol,
    interval: '1m',
    window_start: k.openTimeUs,
    window_end: k.openTimeUs + 60_000_000,
    open: k.open,
    high: k.high,
    low: k.low,
    close: k.close,
    volume: k.volume,
    quote_volume: k.quoteVolume,
    vwap: vwapOf(k.quoteVolume, k.volume),
    trade_count: k.tradeCount,
    taker_buy_volume: k.takerBuyVolume,
    taker_buy_quote_volume: k.takerBuyQuoteVolume,
    first_trade_id: null,
    last_trade_id: null,
    revision: 0,
    is_final: true,
    finalized_at: finalizedAtUs,
  };
}

export interface ApiTestLake {
  readonly dir: string;
  readonly lake: Lake;
  readonly jan2024: Kline[];
  cleanup(): void;
}

export async function buildApiTestLake(opts: { dir?: string } = {}): Promise<ApiTestLake> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ml-api-lake-'));
  const lake = new Lake(dir);
  const candles = await lake.table('silver/candles');
  const jan2024 = await readKlines(JAN_2024_KLINES);
  const k2017 = await readKlines(KLINES_2017);
  await candles.append([...k2017, ...jan2024].map((k) => klineToSilverRow(k)));
  const trades = await lake.table('bronze/trades');
  const tradeRows: LakeRow[] = [];
  for await (const t of readArchiveTrades(TRADES_2017, { symbol: 'BTCUSDT' })) tradeRows.push(tradeEventToRow(t));
  await trades.append(tradeRows);

  const fng = JSON.parse(fs.readFileSync(path.join(PAYLOADS_DIR, 'alternative-me', 'fng-limit2-2026-08-18.json'), 'utf8')) as { data: { value: string; value_classification: string; timestamp: string }[] };
  const sentiment = await lake.table('bronze/sentiment');
  await sentiment.append(
    fng.data.map((d) =>
      sentimentEventToRow({ v: 1, source: 'alternative.me', indicator: 'fear_and_greed', value: Number(d.value), classification: d.value_classification, asOfUs: Number(d.timestamp) * 1e6, receivedAtUs: Date.UTC(2026, 7, 18) * 1000 } as never),
    ),
  );
  const feed = parseFeed(fs.readFileSync(path.join(PAYLOADS_DIR, 'news-rss', 'coindesk-rss-2026-08-18.xml'), 'utf8'));
  const news = await lake.table('bronze/news');
  await news.append(feed.items.map((item) => newsEventToRow(toNewsEvent('coindesk', item, Date.UTC(2026, 7, 18, 12) * 1000))));
  return { dir, lake, jan2024, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export const API_TEST_SUPPORT_DIR = path.dirname(fileURLToPath(import.meta.url));
