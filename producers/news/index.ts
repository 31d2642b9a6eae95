/** News source: `runNews(loadNewsConfig(), sink, { signal, logger, registry })`. */
export { DEFAULT_FEEDS, loadNewsConfig, newsEnvSchema, parseFeedSpec, type FeedSpec, type NewsConfig } from './config.ts';
export { createNewsProducer, runNews, toNewsEvent } from './news-producer.ts';
