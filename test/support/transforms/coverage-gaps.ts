/**
 * Real klines with planted holes, for the coverage ledger and the backfill's `missing` mode:
 * whole hours deleted (no candle: our gap) and whole hours without trades (candles with volume 0
 * carrying the previous traded close, Binance's rule for a quiet minute).
 */
import type { KlineLoadOptions } from '../lake-loaders.ts';

export const HOUR_MS = 3_600_000;

/** loadKlinesIntoSilver options keeping [fromMs, toMs) with the hours starting at `deleted` removed and those at `quiet` emptied of trades. */
export function klinesWithHoles(fromMs: number, toMs: number, holes: { deleted?: readonly number[]; quiet?: readonly number[] }): KlineLoadOptions {
  const inHour = (starts: readonly number[] = []) => (starts.length ? starts.map((h) => `(open_time >= ${h} AND open_time < ${h + HOUR_MS})`).join(' OR ') : 'false');
  const quietValue = (column: string) => `CASE WHEN quiet THEN last_close ELSE ${column} END AS ${column}`;
  return {
    where: `open_time >= ${fromMs} AND open_time < ${toMs} AND NOT (${inHour(holes.deleted)})`,
    transform: `SELECT open_time, ${['open', 'high', 'low', 'close'].map(quietValue).join(', ')},
        CASE WHEN quiet THEN '0' ELSE volume END AS volume, close_time, CASE WHEN quiet THEN '0' ELSE quote_volume END AS quote_volume,
        CASE WHEN quiet THEN 0 ELSE count END AS count, CASE WHEN quiet THEN '0' ELSE taker_buy_volume END AS taker_buy_volume,
        CASE WHEN quiet THEN '0' ELSE taker_buy_quote_volume END AS taker_buy_quote_volume, ignore
      FROM (
        SELECT *, last_value(CASE WHEN NOT quiet THEN close END IGNORE NULLS) OVER (ORDER BY open_time ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_close
        FROM (SELECT *, ${inHour(holes.quiet)} AS quiet FROM {{ klines }})
      )`,
  };
}
