/**
 * Binance live trades over websockets: `runBinanceWs(loadBinanceWsConfig(), sink, { signal,
 * logger, registry, rest? })`. Gap events go to market.gaps.v1 (TOPICS.gaps).
 */

export { binanceWsEnvSchema, loadBinanceWsConfig, DEFAULT_BINANCE_SYMBOLS, type BinanceWsConfig } from './ws-config.ts';
export { createBinanceWsProducer, runBinanceWs, type BinanceWsDeps, type BinanceWsProducer } from './ws-producer.ts';
export type { AggTradesFetcher, AggTradesQuery } from './ws-gap-filler.ts';
export { TRADE_GAPS_TOPIC } from '../../common/events/index.ts';

