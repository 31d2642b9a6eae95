/**
 * The batch recomputation of candles from bronze, in DuckDB SQL: what silver must converge to.
 * Independent of the streaming operator (plain GROUP BY over the trades, arg_min/arg_max by
 * trade id for open/close, empty windows filled with the previous close), so tests can hold the
 * two against each other, and a repair job can rebuild any range.
 */
import { INTERVAL_MINUTES, type CandleInterval } from '../../common/events/index.ts';
import { sqlLiteral, type LakeQueryEngine } from '../../lake/index.ts';
import { divideRounded } from '../candles/scaled.ts';
import { toScaled } from '../../common/decimal.ts';
import { QTY_SCALE, QUOTE_SCALE, VWAP_SCALE } from '../candles/minute-accumulator.ts';
import { DEFAULT_MAX_FILL_GAP_MS } from '../candles/candle-operator.ts';
import { fromScaled } from '../../common/decimal.ts';

export interface RecomputedCandle {
  exchange: string;
  symbol: string;
  interval: CandleInterval;
  windowStartUs: number;
  windowEndUs: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quoteVolume: string;
  vwap: string | null;
  tradeCount: number;
  takerBuyVolume: string;
  takerBuyQuoteVolume: string;
  firstTradeId: number | null;
  lastTradeId: number | null;
}

/**
 * Candles of `interval` for one symbol, from the window of its first trade up to windows ending
 * at or before `untilUs`, empty windows included (Binance's rule) when they start at most
 * `maxFillGapMs` after the last traded minute before them (the operator's rule: a longer gap is
 * missing, not filled). Only windows that can hold a candle are generated, so a gap of years
 * costs nothing.
 */
export function recomputeCandlesSql(exchange: string, symbol: string, interval: CandleInterval, untilUs: number, fromUs?: number, maxFillGapMs = DEFAULT_MAX_FILL_GAP_MS): string {
  const size = INTERVAL_MINUTES[interval] * 60_000_000;
  const gapUs = Math.floor(maxFillGapMs / 60_000) * 60_000_000;
  const where = `exchange = ${sqlLiteral(exchange)} AND symbol = ${sqlLiteral(symbol)}`;
  const from = fromUs === undefined ? undefined : Math.floor(fromUs / size) * size;
  const last = untilUs - size;
  // From a given window on, empty windows carry the close of the last non-empty window before it.
  const seed =
    from === undefined
      ? `SELECT NULL::DECIMAL(18,8) AS close, NULL::BIGINT AS minute_us`
      : `SELECT arg_max(price, trade_id) AS close, max((epoch_us(trade_time) // 60000000) * 60000000) AS minute_us FROM bronze_trades WHERE ${where}
           AND (epoch_us(trade_time) // ${size}) = (SELECT max(epoch_us(trade_time) // ${size}) FROM bronze_trades WHERE ${where} AND epoch_us(trade_time) < ${from})`;
  return `
WITH t AS (
  SELECT trade_id, kind, first_trade_id, last_trade_id, price, qty, quote_qty, is_buyer_maker, epoch_us(trade_time) AS ts
  FROM bronze_trades WHERE ${where} AND epoch_us(trade_time) < ${untilUs}${from === undefined ? '' : ` AND epoch_us(trade_time) >= ${from}`}
), seed AS (${seed}), w AS (
  SELECT (ts // ${size}) * ${size} AS ws,
    arg_min(price, trade_id) AS open, max(price) AS high, min(price) AS low, arg_max(price, trade_id) AS close,
    sum(qty) AS volume, sum(quote_qty) AS quote_volume,
    sum(CASE WHEN kind = 'aggTrade' THEN last_trade_id - first_trade_id + 1 ELSE 1 END) AS trade_count,
    coalesce(sum(qty) FILTER (WHERE NOT is_buyer_maker), 0) AS taker_buy_volume,
    coalesce(sum(quote_qty) FILTER (WHERE NOT is_buyer_maker), 0) AS taker_buy_quote_volume,
    min(coalesce(first_trade_id, trade_id)) AS first_trade_id, max(coalesce(last_trade_id, trade_id)) AS last_trade_id,
    max((ts // 60000000) * 60000000) AS last_minute_us
  FROM t GROUP BY ALL
), grid AS (
  -- Every traded window and the windows after it that start within the fill gap of its last minute.
  SELECT DISTINCT unnest(generate_series(ws, least(last_minute_us + ${gapUs}, ${last}), ${size})) AS ws FROM w
  ${from === undefined ? '' : `UNION SELECT unnest(generate_series(${from}::BIGINT, least((SELECT minute_us FROM seed) + ${gapUs}, ${last}), ${size})) FROM seed WHERE minute_us IS NOT NULL`}
), filled AS (
  SELECT g.ws, w.open, w.high, w.low, w.close, w.volume, w.quote_volume, w.trade_count, w.taker_buy_volume, w.taker_buy_quote_volume,
    w.first_trade_id, w.last_trade_id,
    coalesce(last_value(w.close IGNORE NULLS) OVER (ORDER BY g.ws ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), (SELECT close FROM seed)) AS carried,
    coalesce(last_value(w.last_minute_us IGNORE NULLS) OVER (ORDER BY g.ws ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), (SELECT minute_us FROM seed)) AS carried_minute_us
  FROM grid g LEFT JOIN w USING (ws)
)
SELECT ws AS window_start_us, ws + ${size} AS window_end_us,
  coalesce(open, carried)::VARCHAR AS open, coalesce(high, carried)::VARCHAR AS high, coalesce(low, carried)::VARCHAR AS low,
  coalesce(close, carried)::VARCHAR AS close,
  coalesce(volume, 0)::DECIMAL(38,8)::VARCHAR AS volume, coalesce(quote_volume, 0)::DECIMAL(38,16)::VARCHAR AS quote_volume,
  coalesce(trade_count, 0) AS trade_count,
  coalesce(taker_buy_volume, 0)::DECIMAL(38,8)::VARCHAR AS taker_buy_volume,
  coalesce(taker_buy_quote_volume, 0)::DECIMAL(38,16)::VARCHAR AS taker_buy_quote_volume,
  first_trade_id, last_trade_id
FROM filled WHERE carried IS NOT NULL AND (trade_count IS NOT NULL OR ws - carried_minute_us <= ${gapUs}) ORDER BY ws`;
}

export async function recomputeCandles(
  engine: LakeQueryEngine,
  exchange: string,
  symbol: string,
  interval: CandleInterval,
  untilUs: number,
  fromUs?: number,
  maxFillGapMs = DEFAULT_MAX_FILL_GAP_MS,
): Promise<RecomputedCandle[]> {
  const { rows } = await engine.query(recomputeCandlesSql(exchange, symbol, interval, untilUs, fromUs, maxFillGapMs));
  return rows.map((r) => {
    const volume = String(r.volume);
    const quoteVolume = String(r.quote_volume);
    const v = toScaled(volume, QTY_SCALE);
    return {
      exchange,
      symbol,
      interval,
      windowStartUs: Number(r.window_start_us),
      windowEndUs: Number(r.window_end_us),
      open: String(r.open),
      high: String(r.high),
      low: String(r.low),
      close: String(r.close),
      volume,
      quoteVolume,
      // DuckDB divides decimals as doubles; the exact quotient is computed here.
      vwap: v === 0n ? null : fromScaled(divideRounded(toScaled(quoteVolume, QUOTE_SCALE), v, QUOTE_SCALE, QTY_SCALE, VWAP_SCALE), VWAP_SCALE),
      tradeCount: Number(r.trade_count),
      takerBuyVolume: String(r.taker_buy_volume),
      takerBuyQuoteVolume: String(r.taker_buy_quote_volume),
      firstTradeId: r.first_trade_id === null ? null : Number(r.first_trade_id),
      lastTradeId: r.last_trade_id === null ? null : Number(r.last_trade_id),
    };
  });
}
