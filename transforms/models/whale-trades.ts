/**
 * `gold/whale_trades` (SQL): every trade worth at least GOLD_WHALE_MIN_QUOTE (default $100,000)
 * in the quote currency, with its bronze columns. A trade that bronze holds twice (the websocket
 * and an archive backfill both delivered it) appears once.
 */
import { BRONZE_TRADES, type TableDefinition } from '../../lake/index.ts';
import type { Model } from '../model.ts';
import { inputRangeSql } from '../partitions.ts';

export const GOLD_WHALE_TRADES: TableDefinition = {
  name: 'gold/whale_trades',
  description: 'Trades worth at least the whale threshold in quote currency (default $100,000), from bronze.',
  columns: BRONZE_TRADES.columns,
  partitionColumns: ['symbol', 'date'],
};

export const whaleTradesModel: Model = {
  name: 'whale_trades',
  description: 'single trades worth >= GOLD_WHALE_MIN_QUOTE in quote currency',
  inputs: ['bronze/trades'],
  output: GOLD_WHALE_TRADES,
  materialization: 'partitions',
  lookbackDays: 0,
  sql: (ctx) => `SELECT * EXCLUDE (_copy) FROM (
    SELECT *, row_number() OVER (PARTITION BY exchange, symbol, kind, trade_id ORDER BY received_at, source) AS _copy
    FROM bronze_trades WHERE ${inputRangeSql(ctx.partitions, 0)} AND quote_qty >= ${Number(ctx.config.whaleMinQuote)}
  ) WHERE _copy = 1`,
  tests: [
    { kind: 'unique', columns: ['exchange', 'symbol', 'kind', 'trade_id'] },
    { kind: 'not_null', columns: ['exchange', 'symbol', 'trade_id', 'price', 'qty', 'quote_qty', 'trade_time'] },
    { kind: 'accepted_values', column: 'kind', values: ['trade', 'aggTrade'] },
    { kind: 'sql', name: 'positive_amounts', sql: `SELECT * FROM {{ this }} WHERE price <= 0 OR qty <= 0 OR quote_qty <= 0` },
  ],
};
