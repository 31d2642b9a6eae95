/** Where the recorded real payloads live: the repository's fixtures (test/fixtures/paths.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR } from '../fixtures/paths.ts';

export const SHARED_DATA_DIR = FIXTURES_DIR;

export function sharedDataPath(...parts: string[]): string {
  const p = path.join(SHARED_DATA_DIR, ...parts);
  if (!fs.existsSync(p)) throw new Error(`recorded payload missing: ${p} `);
  return p;
}

export function readSharedData(...parts: string[]): Buffer {
  return fs.readFileSync(sharedDataPath(...parts));
}

export const PAYLOADS = {
  coingeckoMarkets: ['payloads', 'coingecko', 'coins-markets-top100-eur-2024-01-24.json'],
  coingeckoSimplePrice: ['payloads', 'coingecko', 'simple-price-btc-eth-usd-myr-2023-01-12.json'],
  coingeckoHeaders: ['payloads', 'coingecko', 'simple-price.response-headers.json'],
  fearGreed: ['payloads', 'alternative-me', 'fng-limit2-2026-08-18.json'],
  coindeskRss: ['payloads', 'news-rss', 'coindesk-rss-2026-08-18.xml'],
  binanceSpotAggTrades: ['payloads', 'binance-ws', 'cryptofeed-spot-2021-10-12', 'combined-stream-aggTrade.jsonl'],
  binanceSpotAllStreams: ['payloads', 'binance-ws', 'cryptofeed-spot-2021-10-12', 'combined-stream-all.jsonl'],
  trxTradeStreamCsv: ['payloads', 'binance-ws', 'trxusdt-spot-trade-stream-2025-03-04', 'binance_trade_stream_spot_trxusdt_2025-03-04.csv'],
  btcTrades20170817: ['binance', 'btcusdt-spot-2017-08-17-trades-and-1m-klines', 'BTCUSDT-trades-2017-08-17.csv'],
} as const satisfies Record<string, readonly string[]>;
