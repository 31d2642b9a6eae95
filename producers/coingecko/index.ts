/** CoinGecko source: `runCoinGecko(loadCoinGeckoConfig(), sink, { signal, logger, registry })`. */
export { coinGeckoEnvSchema, loadCoinGeckoConfig, type CoinGeckoConfig } from './config.ts';
export { createCoinGeckoProducer, runCoinGecko } from './coingecko-producer.ts';
