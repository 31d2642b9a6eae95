/** Normalised events shared by producers, streaming, workflows and the API. */
export * from './trade.ts';
export * from './ticker.ts';
export * from './sentiment.ts';
export * from './news.ts';
export * from './kline.ts';
export * from './gap.ts';
export * from './deadletter.ts';
export * from './candle.ts';
export * from './alert.ts';
