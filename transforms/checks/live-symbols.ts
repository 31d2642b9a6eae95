/**
 * Live symbols: those that traded (bronze) or got a 1m candle (silver) within a look-back before
 * now, or the configured list. A symbol that stopped longer ago than the look-back is no longer
 * live; one that stopped within it is exactly what freshness and completeness are about.
 */
import { z } from 'zod';
import type { CheckContext } from './check.ts';
import { HOUR_US, sqlString, timeRangeSql } from './sql.ts';

/** Thresholds shared by the checks that look at live symbols. */
export const liveSymbolThresholds = {
  /** A symbol is live when it has data within this many hours before now. */
  liveLookbackHours: z.number().positive().default(24),
  /** Instead of discovering them: the live symbols, as `SYMBOL` or `exchange:SYMBOL` (exchange defaults to binance). */
  symbols: z.array(z.string().min(1)).optional(),
};

/** SQL of the live (exchange, symbol) pairs: with data in bronze (or in bronze or silver 1m) within the look-back. */
export function liveSymbolsSql(ctx: CheckContext, t: { liveLookbackHours: number; symbols?: string[] }, from: 'bronze' | 'bronze and silver' = 'bronze and silver'): string {
  if (t.symbols && t.symbols.length > 0) {
    const pairs = t.symbols.map((s) => {
      const [exchange, symbol] = s.includes(':') ? s.split(':', 2) : ['binance', s];
      return `(${sqlString(exchange)}, ${sqlString(symbol)})`;
    });
    return `SELECT * FROM (VALUES ${pairs.join(', ')}) AS live(exchange, symbol)`;
  }
  const fromUs = ctx.nowUs - t.liveLookbackHours * HOUR_US;
  const toUs = ctx.nowUs + HOUR_US;
  const bronze = `SELECT DISTINCT exchange, symbol FROM bronze_trades WHERE ${timeRangeSql('trade_time', fromUs, toUs)}`;
  if (from === 'bronze') return bronze;
  return `${bronze} UNION SELECT DISTINCT exchange, symbol FROM silver_candles_all_revisions WHERE "interval" = '1m' AND ${timeRangeSql('window_start', fromUs, toUs)}`;
}
