/** Fear & Greed source: `runFearGreed(loadFearGreedConfig(), sink, { signal, logger, registry })`. */
export { fearGreedEnvSchema, loadFearGreedConfig, type FearGreedConfig } from './config.ts';
export { createFearGreedProducer, runFearGreed } from './feargreed-producer.ts';
