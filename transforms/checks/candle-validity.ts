/**
 * candle_validity: each latest candle is internally possible: low ≤ open, close ≤ high; volumes
 * and counts ≥ 0; taker-buy volumes ≤ volumes; VWAP within [low, high] when there was volume (and
 * null without); and, for candles built from exchange trades (ids known), trade_count equals
 * last_trade_id − first_trade_id + 1: Binance trade ids are contiguous per symbol, so a smaller
 * count means trades missing inside the window. (An aggTrade counts its underlying trades and
 * carries their first and last ids, so its candles meet the same identity; candles from klines
 * carry no ids and are skipped.)
 */
import { z } from 'zod';
import { defineCheck } from './check.ts';
import { latestCandlesSql } from './latest-candles.ts';
import { HOUR_US, MINUTE_US, lookbackWindow, queryFailingRows } from './sql.ts';

const INTERVAL_US: readonly (readonly [string, number])[] = [
  ['1m', MINUTE_US],
  ['5m', 5 * MINUTE_US],
  ['15m', 15 * MINUTE_US],
  ['1h', HOUR_US],
];

/** Each rule: its name and the condition a valid candle meets (NULL counts as met). */
const RULES: readonly (readonly [string, string])[] = [
  ['low <= high', 'low <= high'],
  ['low <= open <= high', 'open BETWEEN low AND high'],
  ['low <= close <= high', 'close BETWEEN low AND high'],
  ['prices > 0', 'low > 0'],
  ['volume >= 0', 'volume >= 0 AND quote_volume >= 0'],
  ['taker buy volume <= volume', 'taker_buy_volume BETWEEN 0 AND volume AND taker_buy_quote_volume BETWEEN 0 AND quote_volume'],
  ['vwap within [low, high]', 'volume = 0 OR vwap BETWEEN low AND high'],
  ['vwap null without volume', 'volume > 0 OR vwap IS NULL'],
  ['trade_count >= 0', 'trade_count >= 0'],
  ['trade_count = last_trade_id - first_trade_id + 1', 'first_trade_id IS NULL OR last_trade_id IS NULL OR trade_count = last_trade_id - first_trade_id + 1'],
  // In epoch µs: TIMESTAMPTZ + INTERVAL is calendar arithmetic (time zones), three times slower.
  ['window_end = window_start + interval', `epoch_us(window_end) - epoch_us(window_start) = CASE "interval" ${INTERVAL_US.map(([i, us]) => `WHEN '${i}' THEN ${us}`).join(' ')} END`],
];

export const candleValidity = defineCheck({
  name: 'candle_validity',
  table: 'silver/candles',
  description: 'OHLC bounds, non-negative volumes, taker buy ≤ volume, VWAP within [low, high], trade_count = last − first + 1, window length.',
  severity: 'error',
  blocking: true,
  thresholds: z.object({ lookbackHours: z.number().positive().nullable().default(48) }).strict(),
  candleWindow: lookbackWindow,
  async run(ctx, t) {
    const broken = RULES.map(([name, ok]) => `CASE WHEN (${ok}) IS NOT DISTINCT FROM false THEN ${`'${name}'`} END`);
    const { failingRows, samples } = await queryFailingRows(
      ctx,
      // The rules as one filter first; which of them broke is worked out for the failing rows only.
      `SELECT exchange, symbol, "interval", window_start, list_filter([${broken.join(', ')}], x -> x IS NOT NULL) AS violations,
         open, high, low, close, volume, quote_volume, vwap, trade_count, taker_buy_volume, taker_buy_quote_volume, first_trade_id, last_trade_id, revision
       FROM ${latestCandlesSql(ctx, lookbackWindow(ctx, t))}
       WHERE ${RULES.map(([, ok]) => `(${ok}) IS NOT DISTINCT FROM false`).join(' OR ')}`,
      'exchange, symbol, "interval", window_start',
    );
    return { observed: failingRows, threshold: 0, failingRows, samples };
  },
});
