/**
 * `gold/market_sentiment` (SQL): each symbol's hourly close and log return (gold/indicators, 1h)
 * beside the sentiment of that hour: Fear & Greed and all news, and the news that mention the
 * symbol's base coin (BTCUSDT → BTC).
 */
import type { TableDefinition } from '../../lake/index.ts';
import type { Model } from '../model.ts';
import { MONTH_COLUMN, monthColumn } from '../month-partitions.ts';
import { inputRangeSql } from '../partitions.ts';

export const GOLD_MARKET_SENTIMENT: TableDefinition = {
  name: 'gold/market_sentiment',
  description: "Per symbol and hour: close and return beside Fear & Greed and news sentiment (overall and the symbol's coin).",
  columns: [
    { name: 'exchange', type: 'string', nullable: false },
    { name: 'symbol', type: 'string', nullable: false },
    { name: 'hour', type: 'timestamp', nullable: false },
    { name: 'close', type: 'decimal(18,8)', nullable: false },
    { name: 'log_return', type: 'double' },
    { name: 'coin', type: 'string', nullable: false, comment: 'the base coin, e.g. BTC' },
    { name: 'fear_greed', type: 'integer' },
    { name: 'fear_greed_class', type: 'string' },
    { name: 'news_count', type: 'long', nullable: false },
    { name: 'news_score_mean', type: 'double' },
    { name: 'coin_news_count', type: 'long', nullable: false, comment: 'news of the hour mentioning the coin' },
    { name: 'coin_news_score_mean', type: 'double' },
    { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(hour)) AS DATE)` },
    monthColumn(),
  ],
  // A file a month: a day holds few rows (month-partitions.ts).
  partitionColumns: ['symbol', MONTH_COLUMN],
};

export const marketSentimentModel: Model = {
  name: 'market_sentiment',
  description: "hourly close and return beside sentiment, per symbol",
  inputs: ['gold/indicators', 'gold/sentiment'],
  output: GOLD_MARKET_SENTIMENT,
  materialization: 'partitions',
  lookbackDays: 0,
  sql: (ctx) => `
SELECT i.exchange, i.symbol, i.window_start AS hour, i.close, i.log_return, i.coin,
  a.fear_greed, a.fear_greed_class, coalesce(a.news_count, 0) AS news_count, a.news_score_mean,
  coalesce(c.news_count, 0) AS coin_news_count, c.news_score_mean AS coin_news_score_mean
FROM (
  SELECT exchange, symbol, window_start, close, log_return, regexp_replace(symbol, '(USDT|USDC|FDUSD|BUSD|TUSD|USD|EUR|BTC|ETH)$', '') AS coin
  FROM ${ctx.relation('gold/indicators')} WHERE ${inputRangeSql(ctx.partitions, 0)} AND "interval" = '1h'
) i
LEFT JOIN ${ctx.relation('gold/sentiment')} a ON a.hour = i.window_start AND a.scope = 'ALL'
LEFT JOIN ${ctx.relation('gold/sentiment')} c ON c.hour = i.window_start AND c.scope = i.coin`,
  tests: [
    { kind: 'unique', columns: ['exchange', 'symbol', 'hour'] },
    { kind: 'not_null', columns: ['exchange', 'symbol', 'hour', 'close', 'coin'] },
  ],
};
