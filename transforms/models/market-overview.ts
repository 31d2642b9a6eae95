/**
 * `gold/market_overview` (SQL, a full rewrite): each coin's latest CoinGecko snapshot (price,
 * market cap, 24h volume) beside Binance's last 1m close of `<COIN>USDT`, with the difference in
 * basis points ((CoinGecko - Binance) / Binance × 10,000).
 */
import type { TableDefinition } from '../../lake/index.ts';
import type { Model } from '../model.ts';

export const GOLD_MARKET_OVERVIEW: TableDefinition = {
  name: 'gold/market_overview',
  description: "CoinGecko's latest price, market cap and 24h volume per coin beside Binance's last close, difference in bps.",
  columns: [
    { name: 'coin_id', type: 'string', nullable: false },
    { name: 'coin', type: 'string', nullable: false, comment: 'upper-case coin symbol, e.g. BTC' },
    { name: 'vs_currency', type: 'string', nullable: false },
    { name: 'coingecko_price', type: 'decimal(38,18)', nullable: false },
    { name: 'market_cap', type: 'decimal(38,18)' },
    { name: 'volume_24h', type: 'decimal(38,18)' },
    { name: 'price_change_pct_24h', type: 'double' },
    { name: 'coingecko_time', type: 'timestamp', nullable: false },
    { name: 'exchange', type: 'string' },
    { name: 'symbol', type: 'string', comment: 'the Binance symbol compared with, e.g. BTCUSDT' },
    { name: 'binance_close', type: 'decimal(18,8)' },
    { name: 'binance_time', type: 'timestamp', comment: 'end of the 1m window of that close' },
    { name: 'diff_bps', type: 'double', comment: '(coingecko_price - binance_close) / binance_close × 10,000' },
    { name: 'computed_at', type: 'timestamp', nullable: false },
  ],
  partitionColumns: [],
};

export const marketOverviewModel: Model = {
  name: 'market_overview',
  description: 'CoinGecko beside Binance, difference in bps',
  inputs: ['bronze/tickers', 'silver/candles'],
  output: GOLD_MARKET_OVERVIEW,
  materialization: 'full',
  lookbackDays: 0,
  async build(ctx, into) {
    // Binance's last close: the newest date partition of each symbol, found from the files the
    // run reads, and only that day's files read (every revision: the newest candle's latest).
    const lastDate = new Map<string, string>();
    for (const f of ctx.filesOf('silver/candles')) {
      const { symbol, date } = f.partitionValues;
      if (symbol && date && (!lastDate.has(symbol) || date > lastDate.get(symbol)!)) lastDate.set(symbol, date);
    }
    const perSymbol = [...lastDate].map(
      ([symbol, date]) => `SELECT exchange, symbol, close, window_end AS t FROM ${ctx.partitionsRelation('silver/candles', [{ symbol, date }])}
        WHERE "interval" = '1m' QUALIFY row_number() OVER (PARTITION BY exchange ORDER BY window_start DESC, revision DESC) = 1`,
    );
    const bn = perSymbol.length ? perSymbol.map((q) => `(${q})`).join(' UNION ALL ') : `SELECT NULL::VARCHAR AS exchange, NULL::VARCHAR AS symbol, NULL::DECIMAL(18,8) AS close, NULL::TIMESTAMPTZ AS t WHERE false`;
    await ctx.conn.run(`CREATE OR REPLACE TABLE ${into} AS
WITH cg AS (
  SELECT coin_id, upper(symbol) AS coin, vs_currency, price, market_cap, volume_24h, price_change_pct_24h, source_time
  FROM bronze_tickers WHERE source = 'coingecko' AND vs_currency = 'usd'
  QUALIFY row_number() OVER (PARTITION BY coin_id ORDER BY source_time DESC, received_at DESC) = 1
), bn AS (
  SELECT * FROM (${bn}) QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY exchange = 'binance' DESC, exchange) = 1
)
SELECT cg.coin_id, cg.coin, cg.vs_currency, cg.price AS coingecko_price, cg.market_cap, cg.volume_24h, cg.price_change_pct_24h, cg.source_time AS coingecko_time,
  bn.exchange, bn.symbol, bn.close AS binance_close, bn.t AS binance_time,
  (CAST(cg.price AS DOUBLE) - CAST(bn.close AS DOUBLE)) / CAST(bn.close AS DOUBLE) * 10000 AS diff_bps,
  make_timestamptz(${Math.round(ctx.nowUs)}::BIGINT) AS computed_at
FROM cg LEFT JOIN bn ON bn.symbol = cg.coin || 'USDT'`);
  },
  tests: [
    { kind: 'unique', columns: ['coin_id'] },
    { kind: 'not_null', columns: ['coin_id', 'coin', 'coingecko_price', 'coingecko_time'] },
  ],
};
