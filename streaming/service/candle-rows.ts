/** silver/candles rows ⇄ candle events (column names of lake/tables/silver-candles.ts). */
import type { CandleEvent, CandleInterval } from '../../common/events/candle.ts';
import type { LakeRow } from '../../lake/index.ts';

export function candleToRow(c: CandleEvent): LakeRow {
  return {
    exchange: c.exchange,
    symbol: c.symbol,
    interval: c.interval,
    window_start: c.windowStartUs,
    window_end: c.windowEndUs,
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
    quote_volume: c.quoteVolume,
    vwap: c.vwap,
    trade_count: c.tradeCount,
    taker_buy_volume: c.takerBuyVolume,
    taker_buy_quote_volume: c.takerBuyQuoteVolume,
    first_trade_id: c.firstTradeId,
    last_trade_id: c.lastTradeId,
    revision: c.revision,
    is_final: c.isFinal,
    finalized_at: c.finalizedAtUs,
  };
}

/** The SELECT list that reads silver rows in the shape `rowToCandle` takes. */
export const SILVER_CANDLE_COLUMNS = `exchange, symbol, "interval", epoch_us(window_start) AS window_start_us, epoch_us(window_end) AS window_end_us,
  open::VARCHAR AS open, high::VARCHAR AS high, low::VARCHAR AS low, close::VARCHAR AS close, volume::VARCHAR AS volume,
  quote_volume::VARCHAR AS quote_volume, vwap::VARCHAR AS vwap, trade_count, taker_buy_volume::VARCHAR AS taker_buy_volume,
  taker_buy_quote_volume::VARCHAR AS taker_buy_quote_volume, first_trade_id, last_trade_id, revision, is_final, epoch_us(finalized_at) AS finalized_at_us`;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function rowToCandle(r: Record<string, unknown>): CandleEvent {
  return {
    v: 1,
    exchange: String(r.exchange),
    symbol: String(r.symbol),
    interval: String(r.interval) as CandleInterval,
    windowStartUs: num(r.window_start_us),
    windowEndUs: num(r.window_end_us),
    open: String(r.open),
    high: String(r.high),
    low: String(r.low),
    close: String(r.close),
    volume: String(r.volume),
    quoteVolume: String(r.quote_volume),
    vwap: r.vwap === null ? null : String(r.vwap),
    tradeCount: num(r.trade_count),
    takerBuyVolume: String(r.taker_buy_volume),
    takerBuyQuoteVolume: String(r.taker_buy_quote_volume),
    firstTradeId: numOrNull(r.first_trade_id),
    lastTradeId: numOrNull(r.last_trade_id),
    revision: num(r.revision),
    isFinal: Boolean(r.is_final),
    finalizedAtUs: numOrNull(r.finalized_at_us),
    emittedAtUs: numOrNull(r.finalized_at_us) ?? 0,
  };
}
