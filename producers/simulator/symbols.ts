/**
 * What the simulator needs to know about each symbol: a starting price, Binance's tick and lot
 * sizes (so every price and quantity is one an exchange could print), volatility, and a typical
 * trade size. The defaults are close to the real spot markets; unknown symbols get generic values.
 */
export interface SimSymbol {
  readonly symbol: string;
  /** Starting price, as a decimal string. */
  readonly startPrice: string;
  /** Price increment and quantity increment, as decimal strings such as "0.01". */
  readonly tickSize: string;
  readonly lotSize: string;
  /** Annualised volatility of the diffusion part, e.g. 0.6 for 60 %. */
  readonly annualVolatility: number;
  /** Median trade notional in the quote currency; sizes are lognormal around it. */
  readonly medianNotional: number;
  /** Share of the total trade rate this symbol gets (normalised over the chosen symbols). */
  readonly weight: number;
}

export const DEFAULT_SIM_SYMBOLS: readonly SimSymbol[] = [
  { symbol: 'BTCUSDT', startPrice: '64000.00', tickSize: '0.01', lotSize: '0.00001', annualVolatility: 0.55, medianNotional: 250, weight: 0.4 },
  { symbol: 'ETHUSDT', startPrice: '3100.00', tickSize: '0.01', lotSize: '0.0001', annualVolatility: 0.7, medianNotional: 180, weight: 0.25 },
  { symbol: 'BNBUSDT', startPrice: '580.00', tickSize: '0.01', lotSize: '0.001', annualVolatility: 0.6, medianNotional: 90, weight: 0.1 },
  { symbol: 'SOLUSDT', startPrice: '145.00', tickSize: '0.01', lotSize: '0.001', annualVolatility: 0.9, medianNotional: 120, weight: 0.15 },
  { symbol: 'XRPUSDT', startPrice: '0.5200', tickSize: '0.0001', lotSize: '0.1', annualVolatility: 0.8, medianNotional: 60, weight: 0.1 },
];

/** The spec of each requested symbol: a default one, or a generic one at a Zipf-like weight. */
export function simSymbols(names: readonly string[]): SimSymbol[] {
  return names.map((name, i) => {
    const known = DEFAULT_SIM_SYMBOLS.find((s) => s.symbol === name);
    return known ?? { symbol: name, startPrice: '100.00', tickSize: '0.01', lotSize: '0.001', annualVolatility: 0.8, medianNotional: 100, weight: 0.3 / (i + 1) };
  });
}

/** Number of decimal places of a tick or lot size such as "0.001" (3). */
export function decimalsOf(step: string): number {
  const dot = step.indexOf('.');
  return dot < 0 ? 0 : step.length - dot - 1;
}

/** The step as an integer count of its own last decimal ("0.01" → 1, "0.05" → 5, "1" → 1). */
export function stepUnits(step: string): number {
  return Number(step.replace('.', ''));
}
