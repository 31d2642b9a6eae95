/** The lake's known tables (gold tables are created by the transforms that own them). */
import type { TableDefinition } from './table-definition.ts';
import { BRONZE_NEWS } from './bronze-news.ts';
import { BRONZE_SENTIMENT } from './bronze-sentiment.ts';
import { BRONZE_TICKERS } from './bronze-tickers.ts';
import { BRONZE_TRADES } from './bronze-trades.ts';
import { SILVER_CANDLES } from './silver-candles.ts';

export * from './bronze-trades.ts';
export * from './bronze-tickers.ts';
export * from './bronze-sentiment.ts';
export * from './bronze-news.ts';
export * from './silver-candles.ts';

export const KNOWN_TABLES: Readonly<Record<string, TableDefinition>> = {
  [BRONZE_TRADES.name]: BRONZE_TRADES,
  [BRONZE_TICKERS.name]: BRONZE_TICKERS,
  [BRONZE_SENTIMENT.name]: BRONZE_SENTIMENT,
  [BRONZE_NEWS.name]: BRONZE_NEWS,
  [SILVER_CANDLES.name]: SILVER_CANDLES,
};
export * from './dates.ts';
export * from './event-rows.ts';
export type { TableDefinition } from './table-definition.ts';
