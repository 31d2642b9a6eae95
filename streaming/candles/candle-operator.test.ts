import { describe, expect, it } from 'vitest';
import type { CandleEvent, TradeEvent } from '../../common/events/index.ts';
import { dayEndSentinel, loadOracleKlines, loadOracleTrades } from '../../test/support/streaming/binance-oracle.ts';
import { toScaled } from '../../common/decimal.ts';
import { CandleOperator, MINUTE_US } from './candle-operator.ts';

function btc(cs: CandleEvent[], interval: string): CandleEvent[] {
  return cs.filter((c) => c.symbol === 'BTCUSDT' && c.interval === interval).sort((a, b) => a.windowStartUs - b.windowStartUs);
}

function trade(id: number, timeMs: number, price: string, qty: string, over: Partial<TradeEvent> = {}): TradeEvent {
  const quote = (Number(price) * Number(qty)).toFixed(8); // small exact inputs in these hand-made cases
  return { v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', tradeId: id, price, qty, quoteQty: quote, isBuyerMaker: false, tradeTimeUs: timeMs * 1000, receivedAtUs: 0, source: 'simulator', ...over };
}

const T0 = Date.UTC(2024, 0, 1, 10, 0, 0);

describe('CandleOperator: the Binance oracle (2017-08-17 BTCUSDT)', () => {
  it('builds exactly the 1,200 official 1m klines from the 3,427 real trades, empty minutes included', () => {
    const op = new CandleOperator();
    const out: CandleEvent[] = [];
    for (const t of loadOracleTrades()) expect(op.add(t, 0, 0)).toBe('accepted');
    op.add(dayEndSentinel(), 0, 0);
    out.push(...op.advance(0));
    const klines = loadOracleKlines();
    const candles = btc(out, '1m');
    expect(klines).toHaveLength(1200);
    expect(candles).toHaveLength(klines.length);
    for (let i = 0; i < klines.length; i++) {
      const k = klines[i];
      const c = candles[i];
      expect({
        openTimeMs: c.windowStartUs / 1000,
        open: c.open,
        high: c.high,
        low: c.low,
        close: c.close,
        volume: c.volume,
        closeTimeMs: c.windowEndUs / 1000 - 1,
        // Quote sums are kept with 16 places (DECIMAL(38,16)); Binance prints 8: compare exactly as numbers.
        quoteVolume: toScaled(c.quoteVolume, 16),
        tradeCount: c.tradeCount,
        takerBuyVolume: c.takerBuyVolume,
        takerBuyQuoteVolume: toScaled(c.takerBuyQuoteVolume, 16),
      }).toEqual({ ...k, quoteVolume: toScaled(k.quoteVolume, 16), takerBuyQuoteVolume: toScaled(k.takerBuyQuoteVolume, 16) });
      expect(c.isFinal).toBe(true);
      expect(c.revision).toBe(0);
    }
    // 04:01 is an empty minute carrying 4261.48 forward (PROVENANCE.md spot check).
    expect(candles[1]).toMatchObject({ open: '4261.48000000', close: '4261.48000000', volume: '0.00000000', tradeCount: 0, vwap: null, firstTradeId: null });
    expect(candles[0]).toMatchObject({ firstTradeId: 0, lastTradeId: 2, vwap: '4261.4800000000000000' });
  });

  it('rolls 5m/15m/1h up from non-empty minutes only, and gives the same candles from any arrival order', () => {
    const trades = loadOracleTrades();
    const inOrder = new CandleOperator();
    for (const t of trades) inOrder.add(t, 0, 0);
    inOrder.add(dayEndSentinel(), 0, 0);
    const expected = inOrder.advance(0);
    // 20 hours: 240 5m, 80 15m, 20 1h windows.
    expect(btc(expected, '5m')).toHaveLength(240);
    expect(btc(expected, '15m')).toHaveLength(80);
    expect(btc(expected, '1h')).toHaveLength(20);
    // High of the hour = max of the trades in it, never a carried-forward price.
    const hour0 = btc(expected, '1h')[0];
    const hourTrades = trades.filter((t) => t.tradeTimeUs < hour0.windowEndUs);
    expect(hour0.high).toBe(hourTrades.map((t) => t.price).sort((a, b) => Number(b) - Number(a))[0]);
    expect(hour0.tradeCount).toBe(hourTrades.length);

    // Shuffled within the watermark bound: the same result (with a 10 minute bound, everything fits).
    const shuffled = [...trades].sort((a, b) => (a.tradeTimeUs - b.tradeTimeUs) + ((a.tradeId * 7919) % 13) * 60_000_000 - ((b.tradeId * 7919) % 13) * 60_000_000);
    const op = new CandleOperator({ watermarkBoundMs: 15 * 60_000 });
    for (const t of shuffled) op.add(t, 0, 0);
    op.add({ ...dayEndSentinel(), tradeTimeUs: dayEndSentinel().tradeTimeUs + 20 * MINUTE_US }, 0, 0);
    const got = op.advance(0);
    for (const interval of ['1m', '5m', '15m', '1h']) {
      const dayEnd = Date.UTC(2017, 7, 18) * 1000;
      expect(btc(got, interval).filter((c) => c.windowEndUs <= dayEnd).map(strip)).toEqual(btc(expected, interval).map(strip));
    }
  });
});

function strip(c: CandleEvent) {
  const { finalizedAtUs: _f, emittedAtUs: _e, ...rest } = c;
  return rest;
}

describe('CandleOperator: rules', () => {
  it('finalises a window only when the watermark (max event time − bound) passes its end', () => {
    const op = new CandleOperator({ watermarkBoundMs: 2000 });
    op.add(trade(1, T0 + 1000, '100', '1'), 0, 0);
    op.add(trade(2, T0 + 61_000, '101', '1'), 0, 0); // watermark T0 + 59 s
    expect(op.advance(0)).toEqual([]);
    op.add(trade(3, T0 + 62_500, '102', '1'), 0, 0); // watermark T0 + 60.5 s
    const out = op.advance(0);
    expect(out.map((c) => [c.interval, c.windowStartUs / 1000 - T0, c.open, c.close])).toEqual([['1m', 0, '100.00000000', '100.00000000']]);
  });

  it('counts a duplicate once and a late trade revises the final candle and the empty minutes after it', () => {
    const op = new CandleOperator({ watermarkBoundMs: 0 });
    op.add(trade(1, T0 + 1000, '100', '1'), 0, 0);
    expect(op.add(trade(1, T0 + 1000, '100', '1'), 0, 0)).toBe('duplicate');
    op.add(trade(5, T0 + 3 * 60_000 + 1, '110', '2'), 0, 0);
    const first = op.advance(0);
    expect(first.filter((c) => c.interval === '1m').map((c) => [c.windowStartUs / 1000 - T0, c.close, c.volume, c.revision])).toEqual([
      [0, '100.00000000', '1.00000000', 0],
      [60_000, '100.00000000', '0.00000000', 0],
      [120_000, '100.00000000', '0.00000000', 0],
    ]);
    // A late trade in minute 0 with a higher id changes minute 0's close and the carried-forward empties.
    expect(op.add(trade(2, T0 + 50_000, '99', '1', { isBuyerMaker: true }), 0, 0)).toBe('late');
    expect(op.add(trade(2, T0 + 50_000, '99', '1'), 0, 0)).toBe('duplicate');
    const revised = op.advance(0).filter((c) => c.interval === '1m');
    expect(revised.map((c) => [c.windowStartUs / 1000 - T0, c.close, c.volume, c.tradeCount, c.takerBuyVolume, c.revision])).toEqual([
      [0, '99.00000000', '2.00000000', 2, '1.00000000', 1],
      [60_000, '99.00000000', '0.00000000', 0, '0.00000000', 1],
      [120_000, '99.00000000', '0.00000000', 0, '0.00000000', 1],
    ]);
    expect(op.counters).toMatchObject({ duplicate: 2, late: 1 });
  });

  it('an idle partition does not hold the watermark back; an active one does', () => {
    const op = new CandleOperator({ watermarkBoundMs: 0, idleTimeoutMs: 1000 });
    op.add(trade(1, T0, '100', '1'), 0, 0);
    op.add(trade(1, T0 + 10 * 60_000, '100', '1', { symbol: 'ETHUSDT' }), 1, 0);
    expect(op.advance(500).filter((c) => c.symbol === 'BTCUSDT')).toEqual([]); // partition 0 still active: wm = T0
    const later = op.advance(1500); // partition 0 idle: wm = T0 + 10 min
    expect(later.filter((c) => c.symbol === 'BTCUSDT' && c.interval === '1m')).toHaveLength(10);
  });

  it('counts aggTrades by their underlying trades and keeps exact sums beyond 2^53', () => {
    const op = new CandleOperator({ watermarkBoundMs: 0 });
    const big = '90000000.12345678'; // 9.0e15 scaled: just under 2^53
    op.add(trade(10, T0, '1', big, { kind: 'aggTrade', firstTradeId: 100, lastTradeId: 104, quoteQty: big }), 0, 0);
    op.add(trade(11, T0 + 1, '1', big, { kind: 'aggTrade', firstTradeId: 105, lastTradeId: 105, quoteQty: big }), 0, 0);
    op.add(trade(12, T0 + 60_000, '1', '1', { quoteQty: '1' }), 0, 0);
    const [c] = op.advance(0).filter((x) => x.interval === '1m');
    expect(c).toMatchObject({ volume: '180000000.24691356', quoteVolume: '180000000.2469135600000000', tradeCount: 6, firstTradeId: 100, lastTradeId: 105, vwap: '1.0000000000000000' });
  });

  it('keeps quote quantities with up to 16 places exactly and rounds VWAP half-up at 16 places', () => {
    const op = new CandleOperator({ watermarkBoundMs: 0 });
    op.add(trade(1, T0, '3', '0.00000001', { quoteQty: '0.00000003' }), 0, 0);
    op.add(trade(2, T0 + 1, '0.00000007', '0.00000002', { quoteQty: '0.0000000000000014' }), 0, 0);
    op.add(trade(3, T0 + 60_000, '1', '1', { quoteQty: '1' }), 0, 0);
    const [c] = op.advance(0).filter((x) => x.interval === '1m');
    // 0.0000000300000014 / 0.00000003 = 1.000000046666666666…
    expect(c).toMatchObject({ quoteVolume: '0.0000000300000014', volume: '0.00000003', vwap: '1.0000000466666667' });
    expect(() => op.add(trade(4, T0 + 2, '1', '1', { tradeId: 4, quoteQty: '0.00000000000000001' }), 0, 0)).toThrow(/more than 16 decimal places/);
  });

  it('reports trades older than the retention horizon as forgotten', () => {
    const op = new CandleOperator({ watermarkBoundMs: 0, retentionMs: 2 * 3_600_000 });
    op.add(trade(1, T0, '100', '1'), 0, 0);
    op.add(trade(2, T0 + 5 * 3_600_000, '100', '1'), 0, 0);
    op.advance(0);
    expect(op.add(trade(3, T0 + 60_000, '100', '1'), 0, 0)).toBe('forgotten');
    expect(op.add(trade(4, T0 + 4 * 3_600_000, '100', '1'), 0, 0)).toBe('late');
  });
});
