import { describe, expect, it } from 'vitest';
import type { TradeEvent } from '../../common/events/index.ts';
import { TradeGapDetector } from './ws-gap-detector.ts';

const trade = (symbol: string, id: number, timeUs = id * 1000): TradeEvent => ({
  v: 1, exchange: 'binance', symbol, kind: 'trade', tradeId: id, price: '1', qty: '1', quoteQty: '1', isBuyerMaker: false, tradeTimeUs: timeUs, receivedAtUs: 0, source: 'ws',
});
const agg = (symbol: string, a: number, f: number, l: number): TradeEvent => ({ ...trade(symbol, a, l * 1000), kind: 'aggTrade', firstTradeId: f, lastTradeId: l });

describe('TradeGapDetector', () => {
  it('accepts contiguous ids per symbol and reports the exact missing range of a jump', () => {
    const d = new TradeGapDetector();
    expect(d.observe(trade('BTCUSDT', 10)).kind).toBe('first');
    expect(d.observe(trade('ETHUSDT', 500)).kind).toBe('first');
    expect(d.observe(trade('BTCUSDT', 11)).kind).toBe('next');
    expect(d.observe(trade('BTCUSDT', 15, 99_000))).toEqual({
      kind: 'gap',
      gap: { exchange: 'binance', symbol: 'BTCUSDT', stream: 'trade', firstMissingTradeId: 12, lastMissingTradeId: 14, afterTradeTimeUs: 11_000, beforeTradeTimeUs: 99_000 },
    });
    expect(d.observe(trade('ETHUSDT', 501)).kind).toBe('next');
    expect(d.observe(trade('BTCUSDT', 16)).kind).toBe('next');
  });

  it('calls ids at or behind the last one duplicates and does not move backwards', () => {
    const d = new TradeGapDetector();
    d.observe(trade('BTCUSDT', 10));
    d.observe(trade('BTCUSDT', 11));
    expect(d.observe(trade('BTCUSDT', 11))).toEqual({ kind: 'duplicate', lastSeenId: 11 });
    expect(d.observe(trade('BTCUSDT', 3)).kind).toBe('duplicate');
    expect(d.observe(trade('BTCUSDT', 12)).kind).toBe('next');
  });

  it('follows aggTrades by their trade-id ranges and reports missing aggregate ids too', () => {
    const d = new TradeGapDetector();
    d.observe(agg('BTCUSDT', 100, 1000, 1002));
    expect(d.observe(agg('BTCUSDT', 101, 1003, 1003)).kind).toBe('next');
    const v = d.observe(agg('BTCUSDT', 104, 1010, 1012));
    expect(v).toEqual({
      kind: 'gap',
      gap: expect.objectContaining({ stream: 'aggTrade', firstMissingTradeId: 1004, lastMissingTradeId: 1009, firstMissingAggId: 102, lastMissingAggId: 103 }),
    });
    expect(d.observe(agg('BTCUSDT', 104, 1010, 1012)).kind).toBe('duplicate');
  });
});
