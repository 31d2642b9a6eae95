/**
 * Aggregate trades built from real individual trades, for testing gap repair without Binance:
 * consecutive trades at the same price, side and millisecond form one aggregate (Binance groups
 * by taker order, which the archive does not record; this is the closest the data allows).
 * `InMemoryAggTrades` answers `/api/v3/aggTrades` queries (fromId, or startTime/endTime, limit)
 * with Binance's semantics over them.
 */
import { multiplyDecimals, normalizeDecimal, toScaled, fromScaled } from '../../../common/decimal.ts';
import type { TradeEvent } from '../../../common/events/index.ts';
import type { AggTradesFetcher, AggTradesQuery } from '../../../producers/index.ts';
import type { RecordedTrade } from './ws-frames.ts';

export function aggregateTrades(trades: readonly RecordedTrade[], firstAggId = 0): TradeEvent[] {
  const out: TradeEvent[] = [];
  let group: RecordedTrade[] = [];
  const flush = () => {
    if (group.length === 0) return;
    const g0 = group[0];
    // Binance prints aggregate quantities with 8 decimals, like the archive's.
    const qty = fromScaled(group.reduce((sum, t) => sum + toScaled(t.qty, 8), 0n), 8);
    out.push({
      v: 1,
      exchange: 'binance',
      symbol: g0.symbol,
      kind: 'aggTrade',
      tradeId: firstAggId + out.length,
      firstTradeId: g0.id,
      lastTradeId: group[group.length - 1].id,
      price: g0.price,
      qty,
      quoteQty: normalizeDecimal(multiplyDecimals(g0.price, qty)),
      isBuyerMaker: g0.isBuyerMaker,
      tradeTimeUs: g0.time * 1000,
      receivedAtUs: 0,
      source: 'rest',
    });
    group = [];
  };
  for (const t of trades) {
    const g0 = group[0];
    if (g0 && (t.price !== g0.price || t.isBuyerMaker !== g0.isBuyerMaker || t.time !== g0.time || t.id !== group[group.length - 1].id + 1)) flush();
    group.push(t);
  }
  flush();
  return out;
}

export class InMemoryAggTrades implements AggTradesFetcher {
  readonly queries: AggTradesQuery[] = [];
  constructor(private readonly aggs: readonly TradeEvent[]) {}

  async aggTrades(q: AggTradesQuery): Promise<readonly TradeEvent[]> {
    this.queries.push(q);
    const limit = Math.min(q.limit ?? 500, 1000);
    let rows = this.aggs;
    if (q.fromId !== undefined) rows = rows.filter((a) => a.tradeId >= q.fromId!);
    if (q.startTimeMs !== undefined) rows = rows.filter((a) => a.tradeTimeUs >= q.startTimeMs! * 1000);
    if (q.endTimeMs !== undefined) rows = rows.filter((a) => a.tradeTimeUs <= q.endTimeMs! * 1000);
    return rows.slice(0, limit);
  }
}
