/**
 * Fills a small trade-id gap from Binance's REST `/api/v3/aggTrades`, so the live stream heals
 * itself when REST is reachable. Aggregate trades carry their first and last trade ids:
 * - on an aggTrade stream the missing aggregate ids are fetched by `fromId`, exactly;
 * - on a trade stream the aggregates from the last trade before the gap on are fetched (first
 *   page by time, then by aggregate id); an aggregate of one
 *   trade becomes that trade, one of several trades stays an aggTrade event (same price, side
 *   and total quantity, so candles and trade counts stay exact).
 * The fill is all or nothing: unless the fetched aggregates tile the missing ids exactly (none
 * straddles a trade we already have, none is missing), nothing is returned and the gap stays open.
 */
import { multiplyDecimals, normalizeDecimal } from '../../common/decimal.ts';
import type { TradeEvent } from '../../common/events/index.ts';
import type { DetectedGap } from './ws-gap-detector.ts';

export interface AggTradesQuery {
  readonly symbol: string;
  readonly fromId?: number;
  readonly startTimeMs?: number;
  readonly endTimeMs?: number;
  /** 1..1000 */
  readonly limit?: number;
}

/** What the filler needs of a Binance REST client: one `/api/v3/aggTrades` page as aggTrade events, by aggregate id. */
export interface AggTradesFetcher {
  aggTrades(query: AggTradesQuery, signal?: AbortSignal): Promise<readonly TradeEvent[]>;
}

const PAGE = 1000;
const MAX_PAGES = 20;
/** Binance rejects aggTrades time windows of an hour or more. */
const MAX_WINDOW_MS = 3_600_000 - 1;

export type FillResult = { readonly filled: TradeEvent[] } | { readonly unfilled: string };

function asRepairEvent(a: TradeEvent, receivedAtUs: number, stream: 'trade' | 'aggTrade'): TradeEvent {
  const quoteQty = a.quoteQty || normalizeDecimal(multiplyDecimals(a.price, a.qty));
  if (stream === 'trade' && a.firstTradeId === a.lastTradeId) {
    const { firstTradeId: _f, lastTradeId: _l, ...rest } = a;
    return { ...rest, kind: 'trade', tradeId: a.firstTradeId!, quoteQty, receivedAtUs, source: 'rest' };
  }
  return { ...a, quoteQty, receivedAtUs, source: 'rest' };
}

/** Checks that `aggs` cover exactly gap.first..last trade ids, in order, without overlap. */
function tiles(aggs: readonly TradeEvent[], first: number, last: number): string | undefined {
  let next = first;
  for (const a of aggs) {
    if (a.firstTradeId === undefined || a.lastTradeId === undefined) return `aggregate ${a.tradeId} without trade ids`;
    if (a.firstTradeId !== next) return `aggregate ${a.tradeId} starts at trade ${a.firstTradeId}, expected ${next}`;
    next = a.lastTradeId + 1;
  }
  return next === last + 1 ? undefined : `aggregates end at trade ${next - 1}, expected ${last}`;
}

export async function fillGapFromAggTrades(gap: DetectedGap, rest: AggTradesFetcher, signal?: AbortSignal): Promise<FillResult> {
  const first = gap.firstMissingTradeId;
  const last = gap.lastMissingTradeId;
  const collected: TradeEvent[] = [];
  let query: AggTradesQuery;
  if (gap.firstMissingAggId !== undefined && gap.lastMissingAggId !== undefined) {
    query = { symbol: gap.symbol, fromId: gap.firstMissingAggId, limit: Math.min(PAGE, gap.lastMissingAggId - gap.firstMissingAggId + 1) };
  } else {
    // The first page by time (from the last trade we have, whose aggregate is in it), the next
    // ones by aggregate id: that also works when the gap spans more than Binance's 1 h window.
    const startTimeMs = Math.floor(gap.afterTradeTimeUs / 1000);
    const endTimeMs = Math.min(Math.ceil(gap.beforeTradeTimeUs / 1000), startTimeMs + MAX_WINDOW_MS);
    query = { symbol: gap.symbol, startTimeMs, endTimeMs, limit: PAGE };
  }
  for (let page = 0; page < MAX_PAGES; page++) {
    const batch = await rest.aggTrades(query, signal);
    if (batch.length === 0) break;
    let done = false;
    for (const a of batch) {
      const f = a.firstTradeId ?? a.tradeId;
      const l = a.lastTradeId ?? a.tradeId;
      if (l < first) continue; // before the gap
      if (f > last) {
        done = true;
        break;
      }
      if (f < first || l > last) return { unfilled: `aggregate ${a.tradeId} (trades ${f}..${l}) straddles the gap's edge: cannot split it` };
      collected.push(a);
      if (l === last) done = true;
    }
    // A short page by id means nothing more exists; a short page by time only ends the window.
    const byTime = query.startTimeMs !== undefined;
    if (done || (!byTime && batch.length < (query.limit ?? PAGE))) break;
    query = { symbol: gap.symbol, fromId: batch[batch.length - 1].tradeId + 1, limit: PAGE };
  }
  const problem = tiles(collected, first, last);
  if (problem) return { unfilled: problem };
  const receivedAtUs = Date.now() * 1000;
  return { filled: collected.map((a) => asRepairEvent(a, receivedAtUs, gap.stream)) };
}
