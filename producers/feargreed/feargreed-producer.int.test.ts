/** The Fear & Greed poller against a local HTTP server replaying the recorded payload. */
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { SentimentEvent } from '../../common/events/index.ts';
import { createLogger } from '../../common/logger.ts';
import { TOPICS } from '../../common/topics.ts';
import { startHttpReplayServer, type HttpReplayServer } from '../../test/support/http-replay-server.ts';
import { MemorySink } from '../../test/support/memory-sink.ts';
import { PAYLOADS, readSharedData } from '../../test/support/recorded-payloads.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { loadFearGreedConfig } from './config.ts';
import { createFearGreedProducer } from './feargreed-producer.ts';

const recorded = readSharedData(...PAYLOADS.fearGreed);
const nextDay = JSON.stringify({
  name: 'Fear and Greed Index',
  data: [
    { value: '52', value_classification: 'Neutral', timestamp: '1787097600', time_until_update: '86000' },
    ...JSON.parse(recorded.toString('utf8')).data.map(({ time_until_update: _, ...d }: Record<string, string>) => d),
  ],
  metadata: { error: null },
});

let server: HttpReplayServer | undefined;
const stop = new AbortController();
afterEach(async () => {
  stop.abort();
  await server?.close();
});

describe('Fear & Greed poller', () => {
  it('publishes each daily reading once through 429s, 500s, timeouts and a malformed body', async () => {
    server = await startHttpReplayServer({
      '/fng/': [
        { body: recorded },
        { status: 500, body: 'upstream error' },
        { status: 429, headers: { 'retry-after': '0' }, body: '' },
        { delayMs: 5_000, body: recorded },
        { body: '{"data":[{"value":"n/a"}]}' },
        { body: recorded },
        { body: nextDay },
      ],
    });
    const config = loadFearGreedConfig({
      FEARGREED_BASE_URL: server.url,
      FEARGREED_LIMIT: '3',
      FEARGREED_INTERVAL_MS: '30',
      FEARGREED_TIMEOUT_MS: '1500',
      FEARGREED_BACKOFF_INITIAL_MS: '20',
      FEARGREED_BACKOFF_MAX_MS: '50',
    });
    const sink = new MemorySink();
    const producer = createFearGreedProducer(config, sink, { signal: stop.signal, logger: createLogger('test', 'silent'), registry: new Registry() });
    const running = producer.run();
    await waitFor(() => server!.requestsTo('/fng/').length >= 9, 'nine polls', 20_000);
    stop.abort();
    await running;

    const readings = sink.on<SentimentEvent>(TOPICS.sentiment);
    expect(readings.map((r) => `${new Date(r.asOfUs / 1000).toISOString().slice(0, 10)}=${r.value}`)).toEqual([
      '2026-08-17=31',
      '2026-08-18=41',
      '2026-08-19=52',
    ]);
    expect(sink.published.every((p) => p.key === 'alternative.me:fear_and_greed')).toBe(true);
    expect(sink.deadLetters).toHaveLength(1);
    expect(sink.deadLetters[0]).toMatchObject({ stage: 'feargreed', origin: `${server.url}/fng/?limit=3` });
    expect(sink.deadLetters[0].reason).toMatch(/value/);
    expect(Buffer.from(sink.deadLetters[0].rawBase64, 'base64').toString()).toBe('{"data":[{"value":"n/a"}]}');
    expect(server.requestsTo('/fng/')[0].query.get('limit')).toBe('3');
    expect(producer.health().status).toBe('ok');
  });
});
