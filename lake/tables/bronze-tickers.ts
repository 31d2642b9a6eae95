/** `bronze/tickers`: aggregator market snapshots (CoinGecko), partitioned by UTC date. */
import type { TickerEvent } from '../../common/events/index.ts';
import type { TableDefinition } from './table-definition.ts';
import type { LakeRow } from '../writer.ts';

export const BRONZE_TICKERS: TableDefinition = {
  name: 'bronze/tickers',
  description: 'Coin market snapshots from aggregators (CoinGecko), append-only.',
  columns: [
    { name: 'source', type: 'string', nullable: false },
    { name: 'coin_id', type: 'string', nullable: false },
    { name: 'symbol', type: 'string', nullable: false },
    { name: 'vs_currency', type: 'string', nullable: false },
    // Aggregator prices can have many decimals (tiny coins) and caps many digits: wide decimals.
    { name: 'price', type: 'decimal(38,18)', nullable: false },
    { name: 'market_cap', type: 'decimal(38,18)' },
    { name: 'volume_24h', type: 'decimal(38,18)' },
    { name: 'high_24h', type: 'decimal(38,18)' },
    { name: 'low_24h', type: 'decimal(38,18)' },
    { name: 'price_change_pct_24h', type: 'double', comment: 'a percentage, not a price: a plain number' },
    { name: 'source_time', type: 'timestamp', nullable: false },
    { name: 'received_at', type: 'timestamp', nullable: false },
    { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(source_time)) AS DATE)` },
  ],
  partitionColumns: ['date'],
};

export function tickerEventToRow(e: TickerEvent): LakeRow {
  return {
    source: e.source,
    coin_id: e.coinId,
    symbol: e.symbol,
    vs_currency: e.vsCurrency,
    price: e.price,
    market_cap: e.marketCap ?? null,
    volume_24h: e.volume24h ?? null,
    high_24h: e.high24h ?? null,
    low_24h: e.low24h ?? null,
    price_change_pct_24h: e.priceChangePct24h ?? null,
    source_time: e.sourceTimeUs,
    received_at: e.receivedAtUs,
  };
}
