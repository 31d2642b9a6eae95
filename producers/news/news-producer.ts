/**
 * Polls each configured RSS/Atom feed (one poller, one circuit breaker per feed) and publishes
 * every item not seen before on market.news.v1, oldest first, with its headline sentiment and
 * the coin symbols it mentions. Items are deduplicated by guid (else link) per feed.
 */
import { deadLetter, newsKey, type NewsEvent } from '../../common/events/index.ts';
import { TOPICS } from '../../common/topics.ts';
import type { EventSink } from '../event-sink.ts';
import { PayloadError } from '../polling/http-errors.ts';
import { httpGet } from '../polling/http-get.ts';
import { Poller, type PollResult } from '../polling/poller.ts';
import { combineHealth, type SourceDeps, type SourceProducer } from '../polling/source.ts';
import type { FeedSpec, NewsConfig } from './config.ts';
import { parseFeed, type FeedItem, type ParsedFeed } from './feed-parser.ts';
import { headlineSentiment } from './headline-sentiment.ts';
import { SeenItems } from './seen-items.ts';
import { mentionedSymbols } from './symbol-tagger.ts';
import { pollerPolicy } from '../polling/poller-env.ts';

const STAGE = 'news';

function isHttpUrl(value: string | undefined): value is string {
  if (!value) return false;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function toNewsEvent(feed: string, item: FeedItem, receivedAtUs: number): NewsEvent {
  const sentiment = headlineSentiment(item.title);
  return {
    v: 1,
    feed,
    guid: item.guid,
    link: isHttpUrl(item.link) ? item.link : undefined,
    title: item.title,
    summary: item.summary,
    // A feed without dates still needs a time: when we first saw the item.
    publishedAtUs: item.publishedAtMs !== undefined && item.publishedAtMs >= 0 ? item.publishedAtMs * 1000 : receivedAtUs,
    receivedAtUs,
    sentimentScore: sentiment.score,
    sentimentComparative: sentiment.comparative,
    symbols: mentionedSymbols(item.title, item.summary),
  };
}

export function createNewsProducer(config: NewsConfig, sink: EventSink, deps: SourceDeps): SourceProducer {
  const logger = deps.logger.child({ source: STAGE });
  const seen = new SeenItems(config.NEWS_DEDUP_CAPACITY, config.NEWS_DEDUP_FILE, logger);

  const pollFeed = (feed: FeedSpec) => async (signal: AbortSignal): Promise<PollResult> => {
    const res = await httpGet(feed.url, {
      headers: { accept: 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5' },
      timeoutMs: config.NEWS_TIMEOUT_MS,
      signal,
    });
    const receivedAtUs = Date.now() * 1000;
    let parsed: ParsedFeed;
    try {
      parsed = parseFeed(res.body.toString('utf8'), config.NEWS_SUMMARY_MAX_CHARS);
    } catch (err) {
      await sink.deadLetter(deadLetter({ stage: STAGE, reason: `${feed.id}: ${(err as Error).message}`, raw: res.body, origin: feed.url }));
      throw new PayloadError(`${feed.id}: ${(err as Error).message}`, res.body, feed.url);
    }
    for (const r of parsed.rejected) {
      // Rejected items have no usable id, so they would be dead-lettered on every poll; once is enough.
      const key = `rejected:${r.raw}`;
      if (seen.has(feed.id, key)) continue;
      await sink.deadLetter(deadLetter({ stage: STAGE, reason: `${feed.id}: ${r.reason}`, raw: r.raw, origin: feed.url }));
      seen.add(feed.id, key);
    }
    const fresh: FeedItem[] = [];
    for (const item of parsed.items) {
      if (seen.has(feed.id, item.guid)) seen.touch(feed.id, item.guid);
      else if (!fresh.some((f) => f.guid === item.guid)) fresh.push(item);
    }
    // Feeds list newest first; publish oldest first so the topic reads in time order.
    fresh.sort((a, b) => (a.publishedAtMs ?? 0) - (b.publishedAtMs ?? 0));
    try {
      for (const item of fresh) {
        const event = toNewsEvent(feed.id, item, receivedAtUs);
        await sink.publish(TOPICS.news, newsKey(event), event, feed.url);
        seen.add(feed.id, item.guid);
      }
    } finally {
      seen.save();
    }
    return { published: fresh.length, unchanged: parsed.items.length - fresh.length };
  };

  const pollers = config.NEWS_FEEDS.map(
    (feed) =>
      new Poller({
        name: `news-${feed.id}`,
        ...pollerPolicy('NEWS', config),
        poll: pollFeed(feed),
        logger,
        registry: deps.registry,
        signal: deps.signal,
      }),
  );

  return {
    async run() {
      logger.info({ feeds: config.NEWS_FEEDS, intervalMs: config.NEWS_INTERVAL_MS, dedupFile: config.NEWS_DEDUP_FILE ?? null }, 'news poller starting');
      await Promise.all(pollers.map((p) => p.run()));
      seen.save();
      logger.info('news poller stopped');
    },
    health: () => combineHealth(pollers.map((p) => p.health())),
  };
}

/** Entry point for `marketlake produce news`: polls until `deps.signal` aborts. */
export async function runNews(config: NewsConfig, sink: EventSink, deps: SourceDeps): Promise<void> {
  await createNewsProducer(config, sink, deps).run();
}
