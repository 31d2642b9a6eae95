/** The news poller against a local HTTP server replaying the recorded CoinDesk feed. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { type NewsEvent, newsEventSchema } from '../../common/events/index.ts';
import { createLogger } from '../../common/logger.ts';
import { TOPICS } from '../../common/topics.ts';
import { startHttpReplayServer, type HttpReplayServer } from '../../test/support/http-replay-server.ts';
import { MemorySink } from '../../test/support/memory-sink.ts';
import { PAYLOADS, readSharedData } from '../../test/support/recorded-payloads.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { loadNewsConfig } from './config.ts';
import { createNewsProducer } from './news-producer.ts';

const coindesk = readSharedData(...PAYLOADS.coindeskRss).toString('utf8');
const NEW_ITEM = `<item><title><![CDATA[Solana and ether surge as bitcoin ETF inflows hit a record]]></title>
  <link>https://www.coindesk.com/markets/2026/08/18/new-item</link><guid isPermaLink="false">00000000-0000-4000-8000-000000000001</guid>
  <pubDate>Tue, 18 Aug 2026 09:00:00 +0000</pubDate><description>Fresh.</description></item>`;
const coindeskPlusOne = coindesk.replace('<item>', `${NEW_ITEM}\n<item>`);
const atom = `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Local</title>
  <entry><id>tag:local,2026:1</id><title>XRP plunges after exchange hack</title><link href="https://local.test/1"/><updated>2026-08-18T07:00:00Z</updated></entry>
</feed>`;

let server: HttpReplayServer | undefined;
let stop = new AbortController();
afterEach(async () => {
  stop.abort();
  await server?.close();
});

function config(extra: Record<string, string> = {}) {
  return loadNewsConfig({
    NEWS_FEEDS: `coindesk=${server!.url}/arc/outboundfeeds/rss/,local=${server!.url}/atom`,
    NEWS_INTERVAL_MS: '30',
    NEWS_TIMEOUT_MS: '1500',
    NEWS_BACKOFF_INITIAL_MS: '20',
    NEWS_BACKOFF_MAX_MS: '50',
    ...extra,
  });
}

async function runUntil(cfg: ReturnType<typeof config>, sink: MemorySink, done: () => boolean) {
  stop = new AbortController();
  const producer = createNewsProducer(cfg, sink, { signal: stop.signal, logger: createLogger('test', 'silent'), registry: new Registry() });
  const running = producer.run();
  await waitFor(done, 'the scripted polls', 20_000);
  stop.abort();
  await running;
  return producer;
}

describe('news poller', () => {
  it('publishes each item once, oldest first, scored and tagged, through 429, 500, timeouts and broken XML', async () => {
    server = await startHttpReplayServer({
      '/arc/outboundfeeds/rss/': [
        { body: coindesk, headers: { 'content-type': 'application/rss+xml' } },
        { status: 429, headers: { 'retry-after': '1' } },
        { status: 500, body: 'error' },
        { delayMs: 5_000, body: coindesk },
        { body: '<rss><channel><item><title>cut off' },
        { body: coindesk },
        { body: coindeskPlusOne },
      ],
      '/atom': [{ body: atom, headers: { 'content-type': 'application/atom+xml' } }],
    });
    const sink = new MemorySink();
    const producer = await runUntil(config(), sink, () => server!.requestsTo('/arc/outboundfeeds/rss/').length >= 9);

    const news = sink.on<NewsEvent>(TOPICS.news);
    const fromCoindesk = news.filter((n) => n.feed === 'coindesk');
    expect(fromCoindesk).toHaveLength(26);
    expect(new Set(fromCoindesk.map((n) => n.guid)).size).toBe(26);
    const first25 = fromCoindesk.slice(0, 25).map((n) => n.publishedAtUs);
    expect(first25).toEqual([...first25].sort((a, b) => a - b));
    expect(fromCoindesk.at(-1)).toMatchObject({ guid: '00000000-0000-4000-8000-000000000001', symbols: ['BTC', 'ETH', 'SOL'] });
    expect(fromCoindesk.at(-1)!.sentimentScore).toBeGreaterThan(0);

    const xrp = fromCoindesk.find((n) => n.title.startsWith('XRP sinks below $1'))!;
    expect(xrp.symbols).toEqual(['XRP']);
    expect(xrp.link).toBe('https://www.coindesk.com/markets/2026/08/18/xrp-slips-below-usd1-even-as-korean-regional-bank-adopts-ripple-payments');
    expect(news.filter((n) => n.feed === 'local')).toEqual([
      expect.objectContaining({ guid: 'tag:local,2026:1', title: 'XRP plunges after exchange hack', symbols: ['XRP'], sentimentScore: expect.any(Number) }),
    ]);
    expect(news.find((n) => n.feed === 'local')!.sentimentScore).toBeLessThan(0);
    for (const n of news) expect(newsEventSchema.safeParse(n).success).toBe(true);
    expect(sink.published.filter((p) => p.topic === TOPICS.news).every((p) => p.key === `news:${(p.value as NewsEvent).feed}`)).toBe(true);

    expect(sink.deadLetters).toHaveLength(1);
    expect(sink.deadLetters[0].reason).toMatch(/coindesk: not well-formed XML/);
    const reqs = server.requestsTo('/arc/outboundfeeds/rss/');
    expect(reqs[2].at - reqs[1].at).toBeGreaterThanOrEqual(990);
    expect(producer.health().status).toBe('ok');
  });

  it('remembers published items across a restart when NEWS_DEDUP_FILE is set; republishes without it', async () => {
    server = await startHttpReplayServer({ '/arc/outboundfeeds/rss/': [{ body: coindesk }], '/atom': [{ body: atom }] });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'news-seen-')), 'seen.json');
    const polled = (n: number) => () => server!.requestsTo('/arc/outboundfeeds/rss/').length >= n;

    const first = new MemorySink();
    await runUntil(config({ NEWS_DEDUP_FILE: file }), first, polled(2));
    expect(first.on(TOPICS.news)).toHaveLength(26);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).seen).toHaveLength(26);

    const afterRestart = new MemorySink();
    await runUntil(config({ NEWS_DEDUP_FILE: file }), afterRestart, polled(4));
    expect(afterRestart.on(TOPICS.news)).toHaveLength(0);

    const withoutFile = new MemorySink();
    await runUntil(config(), withoutFile, polled(6));
    expect(withoutFile.on(TOPICS.news)).toHaveLength(26);
  });
});
