/**
 * Property: whatever the arrival order (out of order within and beyond the watermark bound, late
 * trades, duplicates, several symbols and partitions, the watermark advanced at random moments),
 * the latest revision of every final candle equals a straightforward batch aggregation of the
 * distinct trades, written independently here with BigInt.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INTERVAL_MINUTES, type CandleEvent, type CandleInterval, type TradeEvent } from '../../common/events/index.ts';
import { fromScaled, toScaled } from '../../common/decimal.ts';
import { CandleOperator, MINUTE_US } from './candle-operator.ts';

const T0 = Date.UTC(2024, 2, 1, 0, 0, 0) * 1000;
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

interface Ref {
  open: string; high: string; low: string; close: string; volume: string; quoteVolume: string; vwap: string | null;
  tradeCount: number; takerBuyVolume: string; takerBuyQuoteVolume: string; firstTradeId: number | null; lastTradeId: number | null;
}

/** Batch aggregation of distinct trades, windows from the symbol's first trade up to `limitUs`. */
function reference(trades: TradeEvent[], limitUs: number): Map<string, Ref> {
  const distinct = new Map<string, TradeEvent>();
  for (const t of trades) distinct.set(`${t.exchange}:${t.symbol}:${t.tradeId}`, t);
  const out = new Map<string, Ref>();
  for (const symbol of SYMBOLS) {
    const ts = [...distinct.values()].filter((t) => t.symbol === symbol).sort((a, b) => a.tradeId - b.tradeId);
    if (ts.length === 0) continue;
    const firstMinute = Math.min(...ts.map((t) => Math.floor(t.tradeTimeUs / MINUTE_US)));
    for (const [interval, k] of Object.entries(INTERVAL_MINUTES) as [CandleInterval, number][]) {
      let lastClose: string | undefined;
      for (let start = Math.floor(firstMinute / k) * k; (start + k) * MINUTE_US <= limitUs; start += k) {
        const inWin = ts.filter((t) => t.tradeTimeUs >= start * MINUTE_US && t.tradeTimeUs < (start + k) * MINUTE_US);
        const key = `${symbol}|${interval}|${start}`;
        if (inWin.length === 0) {
          if (lastClose === undefined) {
            // Before the first trade there is no candle; the previous close is the last trade before.
            const before = ts.filter((t) => t.tradeTimeUs < start * MINUTE_US);
            if (before.length === 0) continue;
            const lastMinute = Math.max(...before.map((t) => Math.floor(t.tradeTimeUs / MINUTE_US)));
            lastClose = before.filter((t) => Math.floor(t.tradeTimeUs / MINUTE_US) === lastMinute).at(-1)!.price;
          }
          const p = fromScaled(toScaled(lastClose, 8), 8);
          out.set(key, { open: p, high: p, low: p, close: p, volume: '0.00000000', quoteVolume: fromScaled(0n, 16), vwap: null, tradeCount: 0, takerBuyVolume: '0.00000000', takerBuyQuoteVolume: fromScaled(0n, 16), firstTradeId: null, lastTradeId: null });
          continue;
        }
        const prices = inWin.map((t) => toScaled(t.price, 8));
        const vol = inWin.reduce((s, t) => s + toScaled(t.qty, 8), 0n);
        const quote = inWin.reduce((s, t) => s + toScaled(t.quoteQty, 16), 0n);
        const buys = inWin.filter((t) => !t.isBuyerMaker);
        // vwap at 16 places: quote (16) / vol (8) → × 10^8 keeps 16 places; half-up.
        const q = (quote * 10n ** 8n) / vol;
        const vwap = (quote * 10n ** 8n - q * vol) * 2n >= vol ? q + 1n : q;
        out.set(key, {
          open: fromScaled(prices[0], 8),
          high: fromScaled(prices.reduce((a, b) => (b > a ? b : a)), 8),
          low: fromScaled(prices.reduce((a, b) => (b < a ? b : a)), 8),
          close: fromScaled(prices.at(-1)!, 8),
          volume: fromScaled(vol, 8),
          quoteVolume: fromScaled(quote, 16),
          vwap: fromScaled(vwap, 16),
          tradeCount: inWin.length,
          takerBuyVolume: fromScaled(buys.reduce((s, t) => s + toScaled(t.qty, 8), 0n), 8),
          takerBuyQuoteVolume: fromScaled(buys.reduce((s, t) => s + toScaled(t.quoteQty, 16), 0n), 16),
          firstTradeId: inWin[0].tradeId,
          lastTradeId: inWin.at(-1)!.tradeId,
        });
        lastClose = inWin.at(-1)!.price;
      }
    }
  }
  return out;
}

const tradeArb = fc.record({
  symbol: fc.integer({ min: 0, max: SYMBOLS.length - 1 }),
  offsetMs: fc.integer({ min: 0, max: 3 * 3_600_000 }),
  price: fc.integer({ min: 1, max: 9_000_000_000_000 }), // up to 90,000.00000000
  qty: fc.integer({ min: 1, max: 500_000_000_000 }),
  buyerMaker: fc.boolean(),
  exactQuote: fc.boolean(),
});

const streamArb = fc
  .record({
    base: fc.array(tradeArb, { minLength: 1, maxLength: 300 }),
    // Each arrival: an index into base (duplicates allowed), and whether to advance after it.
    arrivals: fc.array(fc.record({ pick: fc.nat(), advance: fc.boolean(), dtMs: fc.integer({ min: 0, max: 3000 }) }), { minLength: 1, maxLength: 500 }),
    boundMs: fc.constantFrom(0, 2000, 60_000),
  })
  .map(({ base, arrivals, boundMs }) => {
    // Trade ids follow event time per symbol, as exchanges assign them.
    const sorted = base.map((b, i) => ({ ...b, i })).sort((a, b) => a.offsetMs - b.offsetMs || a.i - b.i);
    const counters = new Map<number, number>();
    const trades: TradeEvent[] = sorted.map((b) => {
      const id = (counters.get(b.symbol) ?? 0) + 1;
      counters.set(b.symbol, id);
      const price = fromScaled(BigInt(b.price), 8);
      const qty = fromScaled(BigInt(b.qty), 8);
      // Binance prints quote_qty with 8 places; other sources carry the exact 16-place product.
      const quoteQty = b.exactQuote ? fromScaled(BigInt(b.price) * BigInt(b.qty), 16) : fromScaled((BigInt(b.price) * BigInt(b.qty)) / 10n ** 8n, 8);
      return { v: 1, exchange: 'binance', symbol: SYMBOLS[b.symbol], kind: 'trade', tradeId: id, price, qty, quoteQty, isBuyerMaker: b.buyerMaker, tradeTimeUs: T0 + b.offsetMs * 1000, receivedAtUs: 0, source: 'simulator' } satisfies TradeEvent;
    });
    // Every trade arrives at least once, in a shuffled order, plus extra duplicate arrivals.
    const order = [...trades.keys()];
    const extra = arrivals.map((a) => a.pick % trades.length);
    const sequence = [...order, ...extra];
    for (let i = sequence.length - 1; i > 0; i--) {
      const j = arrivals[i % arrivals.length].pick % (i + 1);
      [sequence[i], sequence[j]] = [sequence[j], sequence[i]];
    }
    return { trades, sequence: sequence.map((idx, n) => ({ trade: trades[idx], advance: arrivals[n % arrivals.length].advance, dtMs: arrivals[n % arrivals.length].dtMs })), boundMs };
  });

describe('CandleOperator property: latest revisions equal the batch aggregation', () => {
  it('holds for out-of-order, late and duplicated trades across symbols and partitions', () => {
    fc.assert(
      fc.property(streamArb, ({ trades, sequence, boundMs }) => {
        const op = new CandleOperator({ watermarkBoundMs: boundMs, idleTimeoutMs: 2000, retentionMs: 48 * 3_600_000 });
        const latest = new Map<string, CandleEvent>();
        const take = (cs: CandleEvent[]) => {
          for (const c of cs) {
            const key = `${c.symbol}|${c.interval}|${c.windowStartUs / MINUTE_US}`;
            const prev = latest.get(key);
            expect(c.isFinal).toBe(true);
            expect(c.revision).toBe(prev === undefined ? 0 : prev.revision + 1);
            latest.set(key, c);
          }
        };
        let now = 0;
        for (const { trade, advance, dtMs } of sequence) {
          now += dtMs;
          const partition = SYMBOLS.indexOf(trade.symbol) % 2; // two symbols share partition 0
          op.add(trade, partition, now);
          if (advance) take(op.advance(now));
        }
        take(op.advance(now));
        const expected = reference(trades, op.watermarkUs);
        const got = new Map([...latest].map(([k, c]) => [k, { open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, quoteVolume: c.quoteVolume, vwap: c.vwap, tradeCount: c.tradeCount, takerBuyVolume: c.takerBuyVolume, takerBuyQuoteVolume: c.takerBuyQuoteVolume, firstTradeId: c.firstTradeId, lastTradeId: c.lastTradeId }]));
        expect(got).toEqual(expected);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150) },
    );
  });
});
