/**
 * Candles of every gold interval over `silver_candles`: 1m 5m 15m 1h as silver holds them, 4h
 * and 1d rolled up from silver's 1h candles, aligned to 00:00 UTC like Binance's. A rolled-up
 * window takes its open, high and low from its hours that had trades only (an empty hour carries
 * the previous close, which was not traded in the window: the rule in ARCHITECTURE.md, "Numbers"), its close from its
 * last hour, and sums the rest; a window without any trade has open = high = low = close.
 */
export const GOLD_INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type GoldInterval = (typeof GOLD_INTERVALS)[number];

export const INTERVAL_MINUTES: Readonly<Record<GoldInterval, number>> = { '1m': 1, '5m': 5, '15m': 15, '1h': 60, '4h': 240, '1d': 1440 };

/** 4h and/or 1d candles rolled up from the 1h candles of `source` (a relation with silver's columns) in one scan. */
function rollUps(intervals: readonly ('4h' | '1d')[], source: string): string {
  const buckets = intervals.map((iv) => `('${iv}', ${INTERVAL_MINUTES[iv] * 60_000_000}::BIGINT)`).join(', ');
  return `SELECT exchange, symbol, b.iv AS "interval", make_timestamptz((epoch_us(window_start) // b.us) * b.us) AS window_start, "date",
    coalesce(arg_min(open, window_start) FILTER (WHERE trade_count > 0), arg_max(close, window_start)) AS open,
    coalesce(max(high) FILTER (WHERE trade_count > 0), arg_max(close, window_start)) AS high,
    coalesce(min(low) FILTER (WHERE trade_count > 0), arg_max(close, window_start)) AS low,
    arg_max(close, window_start) AS close,
    sum(volume) AS volume, sum(quote_volume) AS quote_volume, sum(trade_count)::BIGINT AS trade_count
  FROM ${source}, (VALUES ${buckets}) b(iv, us) WHERE "interval" = '1h'
  GROUP BY exchange, symbol, b.iv, b.us, 4, "date"`;
}

const CANDLE_COLUMNS = `exchange, symbol, "interval", window_start, "date", open, high, low, close, volume, quote_volume, trade_count`;

/**
 * Every gold interval's candles (or only `intervals`) of the silver rows matching `where` (a
 * filter on silver's columns). Silver is read once (its latest-revision view is a window over
 * every revision): the roll-ups take their 1h candles from that same read.
 */
export function goldCandlesSql(where: string, intervals: readonly GoldInterval[] = GOLD_INTERVALS): string {
  const direct = intervals.filter((iv) => iv !== '4h' && iv !== '1d');
  const rolled = intervals.filter((iv): iv is '4h' | '1d' => iv === '4h' || iv === '1d');
  if (direct.length + rolled.length === 0) throw new Error('goldCandlesSql: no interval asked for');
  const read = [...new Set([...direct, ...(rolled.length > 0 ? ['1h'] : [])])];
  const parts: string[] = [];
  if (direct.length > 0) parts.push(`SELECT ${CANDLE_COLUMNS} FROM silver_read WHERE "interval" IN (${direct.map((iv) => `'${iv}'`).join(', ')})`);
  if (rolled.length > 0) parts.push(rollUps(rolled, 'silver_read'));
  return `WITH silver_read AS MATERIALIZED (
    SELECT ${CANDLE_COLUMNS} FROM silver_candles WHERE "interval" IN (${read.map((iv) => `'${iv}'`).join(', ')}) AND (${where})
  )
  ${parts.join('\nUNION ALL ')}`;
}
