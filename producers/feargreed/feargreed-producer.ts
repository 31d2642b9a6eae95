/**
 * Polls alternative.me's Fear & Greed index and publishes each reading (one per day) once on
 * market.sentiment.v1; a reading whose value the publisher revises is published again.
 * It wakes shortly after the API's announced next update instead of waiting a whole interval.
 */
import { deadLetter, sentimentKey, type SentimentEvent } from '../../common/events/index.ts';
import { TOPICS } from '../../common/topics.ts';
import type { EventSink } from '../event-sink.ts';
import { ChangeFilter } from '../polling/change-filter.ts';
import { PayloadError } from '../polling/http-errors.ts';
import { httpGet } from '../polling/http-get.ts';
import { Poller, type PollResult } from '../polling/poller.ts';
import type { SourceDeps, SourceProducer } from '../polling/source.ts';
import type { FearGreedConfig } from './config.ts';
import { mapFearGreed, type FearGreedReadings } from './mapper.ts';
import { pollerPolicy } from '../polling/poller-env.ts';

const STAGE = 'feargreed';
/** Ask again this long after the announced update, so that the new value is really there. */
const AFTER_UPDATE_MS = 30_000;

export function fearGreedUrl(config: FearGreedConfig): string {
  return `${config.FEARGREED_BASE_URL.replace(/\/+$/, '')}/fng/?limit=${config.FEARGREED_LIMIT}`;
}

export function createFearGreedProducer(config: FearGreedConfig, sink: EventSink, deps: SourceDeps): SourceProducer {
  const logger = deps.logger.child({ source: STAGE });
  const changes = new ChangeFilter<SentimentEvent>(
    (s) => `${s.asOfUs}`,
    (s) => `${s.value}|${s.classification}`,
    1_000,
  );

  const poll = async (signal: AbortSignal): Promise<PollResult> => {
    const url = fearGreedUrl(config);
    const res = await httpGet(url, { timeoutMs: config.FEARGREED_TIMEOUT_MS, signal });
    let readings: FearGreedReadings;
    try {
      readings = mapFearGreed(JSON.parse(res.body.toString('utf8')), Date.now() * 1000);
    } catch (err) {
      await sink.deadLetter(deadLetter({ stage: STAGE, reason: (err as Error).message, raw: res.body, origin: url }));
      throw new PayloadError((err as Error).message, res.body, url);
    }
    // Oldest first, so that the topic holds the readings in time order.
    const fresh = changes.changed(readings.events).sort((a, b) => a.asOfUs - b.asOfUs);
    for (const s of fresh) {
      await sink.publish(TOPICS.sentiment, sentimentKey(s), s, url);
      changes.commit(s);
    }
    const untilUpdateMs = readings.secondsUntilUpdate !== undefined ? readings.secondsUntilUpdate * 1000 + AFTER_UPDATE_MS : undefined;
    return {
      published: fresh.length,
      unchanged: readings.events.length - fresh.length,
      nextPollInMs: untilUpdateMs !== undefined ? Math.min(config.FEARGREED_INTERVAL_MS, untilUpdateMs) : undefined,
    };
  };

  const poller = new Poller({
    name: 'feargreed',
    ...pollerPolicy('FEARGREED', config),
    poll,
    logger,
    registry: deps.registry,
    signal: deps.signal,
  });

  return {
    async run() {
      logger.info({ url: fearGreedUrl(config), intervalMs: config.FEARGREED_INTERVAL_MS }, 'fear & greed poller starting');
      await poller.run();
      logger.info('fear & greed poller stopped');
    },
    health: () => poller.health(),
  };
}

/** Entry point for `marketlake produce feargreed`: polls until `deps.signal` aborts. */
export async function runFearGreed(config: FearGreedConfig, sink: EventSink, deps: SourceDeps): Promise<void> {
  await createFearGreedProducer(config, sink, deps).run();
}
