/**
 * Synthetic but realistic trades for N symbols, deterministic for a seed:
 * - price: geometric Brownian motion with Poisson jumps, snapped to the symbol's tick size;
 * - size: lognormal around the symbol's median notional, snapped to its lot size (at least 1 lot);
 * - arrivals: exponential gaps whose rate switches between calm and bursts (a two-state Markov
 *   chain), normalised so the long-run mean is the configured rate;
 * - flags: an up-tick is a taker buy (isBuyerMaker=false), a down-tick a taker sell; unchanged
 *   prices keep the previous side with some persistence, as order flow does;
 * - trade ids contiguous per symbol; prices and quantities as Binance prints them (8 decimals).
 *
 * It is the default source and the load generator of the benchmarks, so it avoids per-trade
 * BigInt and validation: prices and sizes are integers of the smallest unit, formatted by hand.
 */
import type { TradeEvent } from '../../common/events/index.ts';
import { SeededRandom } from './random.ts';
import { DEFAULT_SIM_SYMBOLS, decimalsOf, simSymbols, stepUnits, type SimSymbol } from './symbols.ts';

export interface SimulatorOptions {
  readonly seed?: number;
  /** Symbol names (known ones get realistic specs) or full specs. Default: the five majors. */
  readonly symbols?: readonly (string | SimSymbol)[];
  /** Exchange id on the events; `sim` keeps synthetic data apart from real exchanges. */
  readonly exchange?: string;
  /** Long-run mean trades per second over all symbols (in simulated time). */
  readonly ratePerSecond?: number;
  /** Simulated clock start, epoch µs. */
  readonly startTimeUs?: number;
  /** First trade id of every symbol. */
  readonly firstTradeId?: number;
}

const MICROS_PER_YEAR = 365.25 * 86_400 * 1e6;
/** Binance prints prices and quantities with 8 decimals. */
const PRINTED_DECIMALS = 8;
const ZEROS = Array.from({ length: 20 }, (_, i) => '0'.repeat(i));
const POW10 = Array.from({ length: 20 }, (_, i) => 10 ** i);
/** Regime switching: P(calm → burst) and P(burst → calm) per trade, and the burst speed-up. */
const TO_BURST = 0.0005;
const TO_CALM = 0.002;
const BURST_SPEEDUP = 10;
const JUMPS_PER_YEAR = 40;
const JUMP_SIGMA = 0.01;
const SIZE_SIGMA = 1.4;
const SIDE_PERSISTENCE = 0.7;

/** An integer `n` of units of 10^-decimals, printed with `printed` (>= decimals) decimals. */
export function formatScaled(n: number, decimals: number, printed: number): string {
  let digits = n.toString();
  if (decimals === 0) return printed > 0 ? `${digits}.${ZEROS[printed]}` : digits;
  if (digits.length <= decimals) digits = ZEROS[decimals - digits.length + 1] + digits;
  const cut = digits.length - decimals;
  return `${digits.slice(0, cut)}.${digits.slice(cut)}${ZEROS[printed - decimals]}`;
}

function formatScaledBig(n: bigint, decimals: number, printed: number): string {
  const digits = n.toString().padStart(decimals + 1, '0');
  const cut = digits.length - decimals;
  return `${digits.slice(0, cut)}${printed > 0 ? '.' : ''}${digits.slice(cut)}${ZEROS[printed - decimals]}`;
}

interface SymbolState {
  readonly spec: SimSymbol;
  readonly priceDecimals: number;
  readonly qtyDecimals: number;
  readonly printedDecimals: number;
  readonly tickUnits: number;
  readonly lotUnits: number;
  readonly sigma: number;
  logPrice: number;
  priceUnits: number;
  lastTimeUs: number;
  nextTradeId: number;
  lastBuyerMaker: boolean;
}

export class TradeSimulator {
  readonly exchange: string;
  readonly symbols: readonly SimSymbol[];
  private readonly random: SeededRandom;
  private readonly states: SymbolState[];
  private readonly cumulativeWeights: number[];
  private readonly calmGapUs: number;
  private burst = false;
  private clockUs: number;

  constructor(opts: SimulatorOptions = {}) {
    this.random = new SeededRandom(opts.seed ?? 1);
    this.exchange = opts.exchange ?? 'sim';
    const requested = opts.symbols ?? DEFAULT_SIM_SYMBOLS;
    const names = requested.filter((s): s is string => typeof s === 'string');
    const generic = simSymbols(names);
    this.symbols = requested.map((s) => (typeof s === 'string' ? generic[names.indexOf(s)] : s));
    if (this.symbols.length === 0) throw new RangeError('the simulator needs at least one symbol');
    this.clockUs = opts.startTimeUs ?? Date.now() * 1000;
    const rate = opts.ratePerSecond ?? 1_000;
    if (!(rate > 0)) throw new RangeError('ratePerSecond must be positive');
    const burstShare = TO_BURST / (TO_BURST + TO_CALM);
    this.calmGapUs = 1e6 / rate / (1 - burstShare + burstShare / BURST_SPEEDUP);
    const totalWeight = this.symbols.reduce((sum, s) => sum + s.weight, 0);
    let cumulative = 0;
    this.cumulativeWeights = this.symbols.map((s) => (cumulative += s.weight / totalWeight));
    this.cumulativeWeights[this.cumulativeWeights.length - 1] = 1;
    this.states = this.symbols.map((spec) => {
      const priceDecimals = decimalsOf(spec.tickSize);
      const qtyDecimals = decimalsOf(spec.lotSize);
      const tickUnits = stepUnits(spec.tickSize);
      const start = Number(spec.startPrice);
      return {
        spec,
        priceDecimals,
        qtyDecimals,
        printedDecimals: Math.max(PRINTED_DECIMALS, priceDecimals + qtyDecimals),
        tickUnits,
        lotUnits: stepUnits(spec.lotSize),
        sigma: spec.annualVolatility,
        logPrice: Math.log(start),
        priceUnits: Math.max(tickUnits, Math.round((start * POW10[priceDecimals]) / tickUnits) * tickUnits),
        lastTimeUs: this.clockUs,
        nextTradeId: opts.firstTradeId ?? 1,
        lastBuyerMaker: false,
      };
    });
  }

  /** The simulated clock: the time of the last trade generated, epoch µs. */
  get nowUs(): number {
    return this.clockUs;
  }

  /** The next trade. `receivedAtUs` defaults to the trade time plus a small network delay. */
  next(receivedAtUs?: number): TradeEvent {
    const r = this.random;
    // Arrival.
    if (this.burst ? r.uniform() < TO_CALM : r.uniform() < TO_BURST) this.burst = !this.burst;
    this.clockUs += r.exponential(this.burst ? this.calmGapUs / BURST_SPEEDUP : this.calmGapUs);
    const tradeTimeUs = Math.floor(this.clockUs);
    // Which symbol.
    const u = r.uniform();
    let i = 0;
    while (this.cumulativeWeights[i] < u) i += 1;
    const s = this.states[i];
    // Price: GBM (zero drift) plus jumps over the time since this symbol's last trade.
    const dtYears = (tradeTimeUs - s.lastTimeUs) / MICROS_PER_YEAR;
    s.lastTimeUs = tradeTimeUs;
    if (dtYears > 0) {
      s.logPrice += -0.5 * s.sigma * s.sigma * dtYears + s.sigma * Math.sqrt(dtYears) * r.normal();
      if (r.uniform() < JUMPS_PER_YEAR * dtYears) s.logPrice += JUMP_SIGMA * r.normal();
    }
    const previousUnits = s.priceUnits;
    s.priceUnits = Math.max(s.tickUnits, Math.round((Math.exp(s.logPrice) * POW10[s.priceDecimals]) / s.tickUnits) * s.tickUnits);
    // Side: follows the tick; on an unchanged price it persists.
    const isBuyerMaker =
      s.priceUnits > previousUnits ? false : s.priceUnits < previousUnits ? true : r.uniform() < SIDE_PERSISTENCE ? s.lastBuyerMaker : !s.lastBuyerMaker;
    s.lastBuyerMaker = isBuyerMaker;
    // Size: lognormal notional, in whole lots.
    const price = s.priceUnits / POW10[s.priceDecimals];
    const notional = s.spec.medianNotional * Math.exp(SIZE_SIGMA * r.normal());
    const lots = Math.max(1, Math.round((notional / price) * POW10[s.qtyDecimals] / s.lotUnits));
    const qtyUnits = lots * s.lotUnits;
    const quoteUnits = s.priceUnits * qtyUnits;
    const quoteDecimals = s.priceDecimals + s.qtyDecimals;
    const quoteQty = Number.isSafeInteger(quoteUnits)
      ? formatScaled(quoteUnits, quoteDecimals, s.printedDecimals)
      : formatScaledBig(BigInt(s.priceUnits) * BigInt(qtyUnits), quoteDecimals, s.printedDecimals);
    const tradeId = s.nextTradeId;
    s.nextTradeId += 1;
    return {
      v: 1,
      exchange: this.exchange,
      symbol: s.spec.symbol,
      kind: 'trade',
      tradeId,
      price: formatScaled(s.priceUnits, s.priceDecimals, PRINTED_DECIMALS),
      qty: formatScaled(qtyUnits, s.qtyDecimals, PRINTED_DECIMALS),
      quoteQty,
      isBuyerMaker,
      tradeTimeUs,
      receivedAtUs: receivedAtUs ?? tradeTimeUs + 500 + Math.floor(r.exponential(1_500)),
      source: 'simulator',
    };
  }
}

/**
 * Exactly `count` trades spread over [fromUs, toUs) for the given symbols: the load generator for
 * benchmarks and tests elsewhere. Same arguments, same trades. The arrival process is random, so
 * its times are rescaled linearly to end inside the range (a factor close to 1).
 */
export function generateTrades(opts: {
  readonly count: number;
  readonly fromUs: number;
  readonly toUs: number;
  readonly symbols?: readonly (string | SimSymbol)[];
  readonly seed?: number;
  readonly exchange?: string;
}): TradeEvent[] {
  if (!(opts.toUs > opts.fromUs)) throw new RangeError('toUs must be after fromUs');
  const span = opts.toUs - opts.fromUs;
  const sim = new TradeSimulator({ ...opts, startTimeUs: opts.fromUs, ratePerSecond: opts.count / (span / 1e6) });
  const raw: TradeEvent[] = [];
  for (let i = 0; i < opts.count; i += 1) raw.push(sim.next());
  const end = sim.nowUs + 1;
  const scale = Math.min(1, span / (end - opts.fromUs)) || 1;
  if (scale === 1) return raw;
  return raw.map((t) => {
    const tradeTimeUs = opts.fromUs + Math.floor((t.tradeTimeUs - opts.fromUs) * scale);
    return { ...t, tradeTimeUs, receivedAtUs: t.receivedAtUs - t.tradeTimeUs + tradeTimeUs };
  });
}
