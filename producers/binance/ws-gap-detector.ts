/**
 * Watches each symbol's trade id sequence on the live stream. Binance trade ids are contiguous
 * per symbol (and aggTrades cover contiguous trade-id ranges with contiguous aggregate ids), so
 * an id that jumps ahead means trades were missed; an id at or behind the last one is a
 * duplicate (e.g. replayed after a reconnect). The first trade of a symbol only sets the start.
 */
import type { TradeEvent } from '../../common/events/index.ts';

export interface DetectedGap {
  readonly exchange: string;
  readonly symbol: string;
  readonly stream: 'trade' | 'aggTrade';
  readonly firstMissingTradeId: number;
  readonly lastMissingTradeId: number;
  readonly firstMissingAggId?: number;
  readonly lastMissingAggId?: number;
  readonly afterTradeTimeUs: number;
  readonly beforeTradeTimeUs: number;
}

export type SequenceVerdict =
  | { readonly kind: 'first' }
  | { readonly kind: 'next' }
  | { readonly kind: 'duplicate'; readonly lastSeenId: number }
  | { readonly kind: 'gap'; readonly gap: DetectedGap };

interface SymbolState {
  /** Last exchange trade id seen (for aggTrades: their last trade id). */
  lastTradeId: number;
  /** Last aggregate id (aggTrade streams). */
  lastAggId: number | undefined;
  lastTimeUs: number;
}

export class TradeGapDetector {
  private readonly bySymbol = new Map<string, SymbolState>();

  observe(t: TradeEvent): SequenceVerdict {
    const key = `${t.exchange}:${t.symbol}`;
    const firstId = t.kind === 'aggTrade' ? t.firstTradeId! : t.tradeId;
    const lastId = t.kind === 'aggTrade' ? t.lastTradeId! : t.tradeId;
    const aggId = t.kind === 'aggTrade' ? t.tradeId : undefined;
    const state = this.bySymbol.get(key);
    if (!state) {
      this.bySymbol.set(key, { lastTradeId: lastId, lastAggId: aggId, lastTimeUs: t.tradeTimeUs });
      return { kind: 'first' };
    }
    if (lastId <= state.lastTradeId) return { kind: 'duplicate', lastSeenId: state.lastTradeId };
    let verdict: SequenceVerdict = { kind: 'next' };
    if (firstId > state.lastTradeId + 1) {
      const aggGap = aggId !== undefined && state.lastAggId !== undefined && aggId > state.lastAggId + 1;
      verdict = {
        kind: 'gap',
        gap: {
          exchange: t.exchange,
          symbol: t.symbol,
          stream: t.kind,
          firstMissingTradeId: state.lastTradeId + 1,
          lastMissingTradeId: firstId - 1,
          ...(aggGap ? { firstMissingAggId: state.lastAggId! + 1, lastMissingAggId: aggId - 1 } : {}),
          afterTradeTimeUs: state.lastTimeUs,
          beforeTradeTimeUs: t.tradeTimeUs,
        },
      };
    }
    state.lastTradeId = lastId;
    state.lastAggId = aggId ?? state.lastAggId;
    state.lastTimeUs = t.tradeTimeUs;
    return verdict;
  }

  /** The last trade id seen per symbol (for logs and health). */
  lastIds(): Record<string, number> {
    return Object.fromEntries([...this.bySymbol].map(([k, s]) => [k, s.lastTradeId]));
  }
}
