/** `bronze/trades`: every trade event as received, partitioned by symbol and UTC date. */
import type { TradeEvent } from '../../common/events/index.ts';
import type { TableDefinition } from './table-definition.ts';
import type { LakeRow } from '../writer.ts';
import { utcDateOf } from './dates.ts';

export const BRONZE_TRADES: TableDefinition = {
  name: 'bronze/trades',
  description: 'Raw trades and aggregate trades from every source (ws, rest, archive, simulator), append-only.',
  columns: [
    { name: 'exchange', type: 'string', nullable: false },
    { name: 'symbol', type: 'string', nullable: false },
    { name: 'kind', type: 'string', nullable: false, comment: 'trade | aggTrade' },
    { name: 'trade_id', type: 'long', nullable: false, comment: 'trade id; for an aggTrade its aggregate id' },
    { name: 'first_trade_id', type: 'long', comment: 'aggTrade only: first underlying trade id' },
    { name: 'last_trade_id', type: 'long', comment: 'aggTrade only: last underlying trade id' },
    { name: 'price', type: 'decimal(18,8)', nullable: false },
    { name: 'qty', type: 'decimal(18,8)', nullable: false },
    { name: 'quote_qty', type: 'decimal(38,16)', nullable: false, comment: 'price × qty, exact' },
    { name: 'is_buyer_maker', type: 'boolean', nullable: false },
    { name: 'trade_time', type: 'timestamp', nullable: false, comment: "the exchange's trade time (UTC, µs)" },
    { name: 'received_at', type: 'timestamp', nullable: false },
    { name: 'source', type: 'string', nullable: false, comment: 'ws | rest | archive | simulator' },
    { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(trade_time)) AS DATE)`, comment: 'UTC date of trade_time (partition)' },
  ],
  partitionColumns: ['symbol', 'date'],
};

/** The bronze row of a trade event (field names → column names; `date` is derived on write). */
export function tradeEventToRow(e: TradeEvent): LakeRow {
  return {
    exchange: e.exchange,
    symbol: e.symbol,
    kind: e.kind,
    trade_id: e.tradeId,
    first_trade_id: e.firstTradeId ?? null,
    last_trade_id: e.lastTradeId ?? null,
    price: e.price,
    qty: e.qty,
    quote_qty: e.quoteQty,
    is_buyer_maker: e.isBuyerMaker,
    trade_time: e.tradeTimeUs,
    received_at: e.receivedAtUs,
    source: e.source,
  };
}

