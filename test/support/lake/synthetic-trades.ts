/**
 * Deterministic synthetic trade rows for tests and benchmarks (not market data: shapes and
 * digit counts like Binance's, values from a seeded generator so runs are reproducible).
 */
import type { LakeRow } from '../../../lake/writer.ts';

export interface SyntheticTradeOptions {
  readonly count: number;
  readonly symbols?: readonly string[];
  /** First trade time, epoch µs. */
  readonly startUs?: number;
  /** Spacing between trades, µs. */
  readonly stepUs?: number;
  readonly firstTradeId?: number;
  readonly seed?: number;
}

/** A small fast PRNG (mulberry32) so the same seed gives the same rows. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Formats an integer count of 1e-8 units as an 8-place decimal string. */
export function units8(n: number): string {
  const s = String(n).padStart(9, '0');
  return `${s.slice(0, -8)}.${s.slice(-8)}`;
}

export function syntheticTrades(opts: SyntheticTradeOptions): LakeRow[] {
  const symbols = opts.symbols ?? ['BTCUSDT'];
  const start = opts.startUs ?? Date.UTC(2024, 2, 1) * 1000;
  const step = opts.stepUs ?? 1000;
  const rnd = prng(opts.seed ?? 42);
  const rows: LakeRow[] = new Array(opts.count);
  const firstId = opts.firstTradeId ?? 1;
  for (let i = 0; i < opts.count; i++) {
    const priceUnits = 6_000_000_000_000 + Math.floor(rnd() * 100_000_000_000); // ~60000.00000000
    const cents = Math.floor(priceUnits / 1_000_000) * 1_000_000; // two decimals, like BTCUSDT
    const qtyUnits = 1 + Math.floor(rnd() * 200_000_000); // up to 2 BTC
    const t = start + i * step;
    const price = units8(cents);
    const qty = units8(qtyUnits);
    // quote = price × qty exactly: cents has 6 trailing zeros, so the product has 10 decimals.
    const quote = (BigInt(cents) * BigInt(qtyUnits)).toString().padStart(17, '0');
    rows[i] = {
      exchange: 'binance',
      symbol: symbols[i % symbols.length],
      kind: 'trade',
      trade_id: firstId + i,
      first_trade_id: null,
      last_trade_id: null,
      price,
      qty,
      quote_qty: `${quote.slice(0, -16)}.${quote.slice(-16)}`,
      is_buyer_maker: rnd() < 0.5,
      trade_time: t,
      received_at: t + 150_000,
      source: 'simulator',
    };
  }
  return rows;
}
