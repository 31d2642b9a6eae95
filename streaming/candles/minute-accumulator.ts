/**
 * The running aggregate of one symbol's trades in one window. Trades only ever update 1-minute
 * accumulators (the hot path); 5m/15m/1h candles are merged from the non-empty minutes when they
 * are needed, which is both cheaper than updating four windows per trade and Binance's rule
 * (empty minutes' carried-forward prices never enter a larger candle).
 */
import { addToSum, mergeSum, newSum, type Scaled, type SplitSum } from './scaled.ts';

/**
 * Scales, matching the lake's columns (lake/tables): prices and quantities DECIMAL(18,8); quote
 * quantities DECIMAL(38,16) because price × qty can carry up to 16 places, though exchanges
 * print 8, so quote values with ≤ 8 places take the number fast path.
 */
export const PRICE_SCALE = 8;
export const QTY_SCALE = 8;
export const QUOTE_SCALE = 16;
export const QUOTE_FAST_SCALE = 8;
export const VWAP_SCALE = 16;
const QUOTE_FACTOR = 10n ** BigInt(QUOTE_SCALE - QUOTE_FAST_SCALE);

export class MinuteAccumulator {
  /** Ordering key of the open/close trades: the trade id (aggregate id for aggTrades). */
  openId = Number.POSITIVE_INFINITY;
  openPrice: Scaled = 0;
  closeId = Number.NEGATIVE_INFINITY;
  closePrice: Scaled = 0;
  high: Scaled = 0;
  low: Scaled = 0;
  readonly volume: SplitSum = newSum();
  /** Quote sums: numbers at QUOTE_FAST_SCALE, bigints at QUOTE_SCALE (see parseDual). */
  readonly quoteVolume: SplitSum = newSum(QUOTE_FACTOR);
  readonly takerBuyVolume: SplitSum = newSum();
  readonly takerBuyQuoteVolume: SplitSum = newSum(QUOTE_FACTOR);
  /** Exchange trades (aggTrades count their underlying trades). */
  tradeCount = 0;
  /** Events added (trades or aggTrades); 0 means the window is empty. */
  events = 0;
  firstTradeId = Number.POSITIVE_INFINITY;
  lastTradeId = Number.NEGATIVE_INFINITY;

  add(
    tradeId: number,
    firstTradeId: number,
    lastTradeId: number,
    price: Scaled,
    qty: Scaled,
    quote: Scaled,
    takerBuy: boolean,
  ): void {
    if (this.events === 0) {
      this.high = price;
      this.low = price;
    } else {
      if (price > this.high) this.high = price;
      if (price < this.low) this.low = price;
    }
    if (tradeId < this.openId) {
      this.openId = tradeId;
      this.openPrice = price;
    }
    if (tradeId > this.closeId) {
      this.closeId = tradeId;
      this.closePrice = price;
    }
    addToSum(this.volume, qty);
    addToSum(this.quoteVolume, quote);
    if (takerBuy) {
      addToSum(this.takerBuyVolume, qty);
      addToSum(this.takerBuyQuoteVolume, quote);
    }
    this.tradeCount += lastTradeId - firstTradeId + 1;
    this.events++;
    if (firstTradeId < this.firstTradeId) this.firstTradeId = firstTradeId;
    if (lastTradeId > this.lastTradeId) this.lastTradeId = lastTradeId;
  }

  /** Folds another window's aggregate into this one (used to roll minutes up to 5m/15m/1h). */
  merge(other: MinuteAccumulator): void {
    if (other.events === 0) return;
    if (this.events === 0) {
      this.high = other.high;
      this.low = other.low;
    } else {
      if (other.high > this.high) this.high = other.high;
      if (other.low < this.low) this.low = other.low;
    }
    if (other.openId < this.openId) {
      this.openId = other.openId;
      this.openPrice = other.openPrice;
    }
    if (other.closeId > this.closeId) {
      this.closeId = other.closeId;
      this.closePrice = other.closePrice;
    }
    mergeSum(this.volume, other.volume);
    mergeSum(this.quoteVolume, other.quoteVolume);
    mergeSum(this.takerBuyVolume, other.takerBuyVolume);
    mergeSum(this.takerBuyQuoteVolume, other.takerBuyQuoteVolume);
    this.tradeCount += other.tradeCount;
    this.events += other.events;
    if (other.firstTradeId < this.firstTradeId) this.firstTradeId = other.firstTradeId;
    if (other.lastTradeId > this.lastTradeId) this.lastTradeId = other.lastTradeId;
  }
}
