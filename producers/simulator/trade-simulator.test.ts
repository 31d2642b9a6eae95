import { describe, expect, it } from 'vitest';
import { multiplyDecimals, toScaled } from '../../common/decimal.ts';
import { tradeEventSchema } from '../../common/events/index.ts';
import { formatScaled, generateTrades, TradeSimulator } from './trade-simulator.ts';
import { DEFAULT_SIM_SYMBOLS } from './symbols.ts';

const FROM = 1_735_689_600_000_000;

describe('TradeSimulator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateTrades({ count: 2_000, fromUs: FROM, toUs: FROM + 60e6, seed: 5 });
    const b = generateTrades({ count: 2_000, fromUs: FROM, toUs: FROM + 60e6, seed: 5 });
    const c = generateTrades({ count: 2_000, fromUs: FROM, toUs: FROM + 60e6, seed: 6 });
    expect(a).toEqual(b);
    expect(a.map((t) => t.price)).not.toEqual(c.map((t) => t.price));
  });

  it('makes valid trades: contiguous ids per symbol, prices on the tick, sizes on the lot, exact quote quantities, times in range and ordered', () => {
    const trades = generateTrades({ count: 5_000, fromUs: FROM, toUs: FROM + 600e6, seed: 9 });
    expect(trades).toHaveLength(5_000);
    const lastId = new Map<string, number>();
    let lastTime = 0;
    for (const t of trades) {
      expect(tradeEventSchema.safeParse(t).success).toBe(true);
      expect(t.tradeId).toBe((lastId.get(t.symbol) ?? 0) + 1);
      lastId.set(t.symbol, t.tradeId);
      expect(t.tradeTimeUs).toBeGreaterThanOrEqual(Math.max(lastTime, FROM));
      expect(t.tradeTimeUs).toBeLessThan(FROM + 600e6);
      lastTime = t.tradeTimeUs;
      const spec = DEFAULT_SIM_SYMBOLS.find((s) => s.symbol === t.symbol)!;
      expect(toScaled(t.price, 8) % toScaled(spec.tickSize, 8)).toBe(0n);
      expect(toScaled(t.qty, 8) % toScaled(spec.lotSize, 8)).toBe(0n);
      expect(toScaled(t.qty, 8)).toBeGreaterThan(0n);
      expect(toScaled(t.quoteQty, 16)).toBe(toScaled(multiplyDecimals(t.price, t.qty), 16));
      expect(t.price).toMatch(/\.\d{8}$/);
    }
    expect(new Set(trades.map((t) => t.symbol))).toEqual(new Set(DEFAULT_SIM_SYMBOLS.map((s) => s.symbol)));
    const sides = trades.filter((t) => t.isBuyerMaker).length / trades.length;
    expect(sides).toBeGreaterThan(0.3);
    expect(sides).toBeLessThan(0.7);
  });

  it('runs at the configured mean rate, in bursts', () => {
    const sim = new TradeSimulator({ seed: 3, ratePerSecond: 1_000, startTimeUs: FROM });
    const n = 200_000;
    const perSecond = new Map<number, number>();
    for (let i = 0; i < n; i += 1) {
      const t = sim.next();
      const s = Math.floor((t.tradeTimeUs - FROM) / 1e5);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    const seconds = (sim.nowUs - FROM) / 1e6;
    expect(n / seconds).toBeGreaterThan(850);
    expect(n / seconds).toBeLessThan(1_150);
    // Bursty: the busiest 100 ms see several times the mean of 100 (a Poisson process stays near +50 %).
    expect(Math.max(...perSecond.values())).toBeGreaterThan(300);
  });

  it('moves prices like a random walk without drifting off', () => {
    const sim = new TradeSimulator({ seed: 4, symbols: ['BTCUSDT'], ratePerSecond: 10, startTimeUs: FROM });
    const prices: number[] = [];
    for (let i = 0; i < 20_000; i += 1) prices.push(Number(sim.next().price));
    expect(new Set(prices).size).toBeGreaterThan(1_000);
    expect(Math.min(...prices)).toBeGreaterThan(64_000 * 0.7);
    expect(Math.max(...prices)).toBeLessThan(64_000 * 1.3);
  });

  it('formats scaled integers exactly', () => {
    expect(formatScaled(426148, 2, 8)).toBe('4261.48000000');
    expect(formatScaled(5, 4, 8)).toBe('0.00050000');
    expect(formatScaled(7, 0, 8)).toBe('7.00000000');
    expect(formatScaled(123, 3, 3)).toBe('0.123');
  });
});
