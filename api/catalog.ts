/**
 * Which symbols the lake knows, from the Delta logs of silver/candles and bronze/trades (their
 * `symbol` partitions), without a query: the 404 of an unknown symbol costs no DuckDB time.
 */
import type { LakeReader } from './lake-reader.ts';
import { NotFoundProblem } from './problem.ts';

export interface SymbolInfo {
  readonly symbol: string;
  /** First and last UTC dates with candles (null when only trades exist). */
  readonly first_date: string | null;
  readonly last_date: string | null;
  readonly candle_days: number;
  readonly has_trades: boolean;
}

/** Catalogs by the partition lists they were built from (the reader returns the same list while a table's version is unchanged). */
const built = new WeakMap<object, WeakMap<object, Map<string, SymbolInfo>>>();

export async function symbolCatalog(lake: LakeReader): Promise<Map<string, SymbolInfo>> {
  const candles = await lake.partitions('silver/candles');
  const trades = await lake.partitions('bronze/trades');
  let byTrades = built.get(candles);
  if (!byTrades) built.set(candles, (byTrades = new WeakMap()));
  let catalog = byTrades.get(trades);
  if (!catalog) byTrades.set(trades, (catalog = buildCatalog(candles, trades)));
  return catalog;
}

function buildCatalog(candles: readonly Record<string, string | null>[], trades: readonly Record<string, string | null>[]): Map<string, SymbolInfo> {
  const out = new Map<string, { first: string | null; last: string | null; days: number; trades: boolean }>();
  for (const p of candles) {
    const s = p.symbol;
    if (!s) continue;
    const e = out.get(s) ?? { first: null, last: null, days: 0, trades: false };
    const d = p.date ?? null;
    if (d && (!e.first || d < e.first)) e.first = d;
    if (d && (!e.last || d > e.last)) e.last = d;
    e.days += 1;
    out.set(s, e);
  }
  for (const p of trades) {
    const s = p.symbol;
    if (!s) continue;
    const e = out.get(s) ?? { first: null, last: null, days: 0, trades: false };
    e.trades = true;
    out.set(s, e);
  }
  return new Map(
    [...out].sort(([a], [b]) => a.localeCompare(b)).map(([symbol, e]) => [symbol, { symbol, first_date: e.first, last_date: e.last, candle_days: e.days, has_trades: e.trades }]),
  );
}

/** The symbol's entry, or a 404 naming it. */
export async function knownSymbol(lake: LakeReader, symbol: string): Promise<SymbolInfo> {
  const info = (await symbolCatalog(lake)).get(symbol);
  if (!info) throw new NotFoundProblem(`unknown symbol ${symbol}: the lake has no candles or trades for it (see /v1/symbols)`);
  return info;
}
