/**
 * /v1/stream against a real Kafka: one shared consumer for all clients, filters, and a client
 * that disconnects and reconnects with Last-Event-ID receiving every event in order, exactly once,
 * both from the feed's memory and (for positions older than it) re-read from Kafka.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignerProtocol, type Kafka, type Producer } from 'kafkajs';
import net, { type AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createLogger } from '../../../common/logger.ts';
import { LiveFeed } from '../../stream/live-feed.ts';
import { createTestTopic, kafkaBrokers, testKafka } from '../../../test/infra.ts';
import { buildApiTestLake, type ApiTestLake } from '../../../test/support/api-lake.ts';
import { createTestApi, type TestApi } from '../../../test/support/api-app.ts';
import { SseReader } from '../../../test/support/sse-reader.ts';
import { waitFor } from '../../../test/support/wait-for.ts';

let kafka: Kafka;
let producer: Producer;
let lake: ApiTestLake;
let topics: { trades: string; candles: string; alerts: string };

const trade = (symbol: string, n: number) => ({
  v: 1, exchange: 'binance', symbol, kind: 'trade', tradeId: n, price: `${40000 + n}.5`, qty: '0.01', quoteQty: `${(40000 + n) * 0.01 + 0.005}`, isBuyerMaker: n % 2 === 0, tradeTimeUs: Date.now() * 1000, receivedAtUs: Date.now() * 1000, source: 'simulator',
});

async function publish(symbol: string, from: number, count: number): Promise<void> {
  await producer.send({ topic: topics.trades, messages: Array.from({ length: count }, (_, i) => ({ key: `binance:${symbol}`, value: JSON.stringify(trade(symbol, from + i)) })) });
}

/** The API over a real HTTP server (SSE is about connections), with its live feed. */
async function startApi(bufferEvents: number, env?: Record<string, string>): Promise<{ api: TestApi & { url: string }; feed: LiveFeed }> {
  const feed = new LiveFeed({ brokers: kafkaBrokers(), topics, bufferEvents, logger: createLogger('feed-test', 'silent') });
  await feed.start();
  const testApi = await createTestApi({ lakeDir: lake.dir, feed, env });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: testApi.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api = {
    ...testApi,
    url,
    close: () => {
      (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      server.close();
      testApi.close();
    },
  };
  return { api, feed };
}

const open = (api: { url: string }, query: string, lastEventId?: string) => fetch(`${api.url}/v1/stream?${query}`, { headers: lastEventId ? { 'last-event-id': lastEventId } : {} });
const ids = (events: { data: string }[]) => events.map((e) => JSON.parse(e.data).tradeId as number);

beforeAll(async () => {
  kafka = testKafka();
  producer = kafka.producer();
  await producer.connect();
  topics = { trades: await createTestTopic(kafka, 'api-sse-trades', 3), candles: await createTestTopic(kafka, 'api-sse-candles', 1), alerts: await createTestTopic(kafka, 'api-sse-alerts', 1) };
  lake = await buildApiTestLake();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  lake?.cleanup();
});

describe('/v1/stream', () => {
  it('serves many clients from one consumer, filters by symbol and channel, and a reconnect with Last-Event-ID misses nothing', async () => {
    const { api, feed } = await startApi(100_000);
    try {
      const btc = new SseReader(await open(api, 'symbols=BTCUSDT&channels=trades'));
      const eth = new SseReader(await open(api, 'symbols=ETHUSDT&channels=trades'));
      const candlesOnly = new SseReader(await open(api, 'channels=candles'));
      // One consumer group with one member serves all three clients. The groups are told apart by
      // the topics their members subscribe to (this test's own): other test files running at the
      // same time start APIs with feeds of their own.
      const admin = kafka.admin();
      await admin.connect();
      let members: number[] = [];
      const readsOurTopics = (m: { memberMetadata: Buffer }) => AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics.includes(topics.trades) ?? false;
      for (let i = 0; i < 100; i++) {
        const groups = (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith('marketlake-api-') && !g.groupId.includes('replay'));
        const described = (await admin.describeGroups(groups.map((g) => g.groupId))).groups.filter((g) => g.members.some(readsOurTopics));
        members = described.map((g) => g.members.length);
        if (described.every((g) => g.state === 'Stable') && members.length > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await admin.disconnect();
      expect(members).toEqual([1]);

      await publish('BTCUSDT', 1, 50);
      await publish('ETHUSDT', 1000, 5);
      const first = await btc.take(20);
      expect(first.every((e) => e.event === 'trade')).toBe(true);
      expect(ids(first)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(ids(await eth.take(5))).toEqual([1000, 1001, 1002, 1003, 1004]);
      const lastId = first.at(-1)!.id!; // the last event this client processed (more may sit unread in its buffer)
      expect(lastId).toMatch(/^t\d+=\d+/);
      await btc.close(); // disconnect after 20 of 50

      await publish('BTCUSDT', 51, 30); // published while the client is away
      const again = new SseReader(await open(api, 'symbols=BTCUSDT&channels=trades', lastId));
      const rest = await again.take(60);
      expect(ids(rest)).toEqual(Array.from({ length: 60 }, (_, i) => i + 21));
      await publish('BTCUSDT', 81, 5); // and live again afterwards
      expect(ids(await again.take(5))).toEqual([81, 82, 83, 84, 85]);
      // The feed's latest trade is the live price.
      const price = await (await api.app.request('/v1/prices/BTCUSDT')).json();
      expect(price).toMatchObject({ symbol: 'BTCUSDT', price: trade('BTCUSDT', 85).price, source: 'live' });
      await again.close();
      await eth.close();
      await candlesOnly.close();
      // Disconnects reach the server asynchronously: every client leaves the feed.
      await waitFor(() => feed.clientCount === 0, 'every client to leave the feed', 5_000, 100);
      expect(feed.clientCount).toBe(0);
    } finally {
      api.close();
      await feed.stop();
    }
  }, 90_000);

  it('a position older than the feed’s memory (or a restarted API) is re-read from Kafka, in order', async () => {
    const { api, feed } = await startApi(100_000);
    let reader: SseReader | undefined;
    let lastId: string;
    try {
      reader = new SseReader(await open(api, 'symbols=SOLUSDT&channels=trades'));
      await publish('SOLUSDT', 1, 10);
      await reader.take(10);
      lastId = reader.lastEventId;
      await reader.close();
    } finally {
      api.close();
      await feed.stop();
    }
    // Published while no API runs at all.
    await publish('SOLUSDT', 11, 40);
    const restarted = await startApi(5);
    try {
      const resumed = new SseReader(await open(restarted.api, 'symbols=SOLUSDT&channels=trades', lastId));
      await publish('SOLUSDT', 51, 10);
      expect(ids(await resumed.take(50, 40_000))).toEqual(Array.from({ length: 50 }, (_, i) => i + 11));
      await resumed.close();
    } finally {
      restarted.api.close();
      await restarted.feed.stop();
    }
  }, 120_000);

  it('a client that stops reading is disconnected once its unsent data passes the limit; the others keep up', async () => {
    const { api, feed } = await startApi(100_000, { API_STREAM_CLIENT_MAX_PENDING_BYTES: String(2 * 1024 * 1024) });
    const { port } = new URL(api.url);
    // A client that sends its request and then never reads: what the server writes piles up.
    const stalled = net.connect({ host: '127.0.0.1', port: Number(port) });
    let stalledClosed = false;
    stalled.on('close', () => (stalledClosed = true));
    stalled.on('error', () => undefined);
    try {
      await new Promise((resolve) => stalled.once('connect', resolve));
      stalled.write('GET /v1/stream?symbols=XRPUSDT&channels=trades HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      stalled.pause();
      const reading = new SseReader(await open(api, 'symbols=XRPUSDT&channels=trades'));
      await waitFor(() => feed.clientCount >= 2, 'both clients to join the feed', 5_000, 100);
      expect(feed.clientCount).toBe(2);
      // ~12 MB of events: far more than the limit plus what the kernel's socket buffers hold. The
      // reading client (in this process, like the server) takes each thousand before the next.
      const got: number[] = [];
      for (let from = 1; from <= 40_000; from += 1_000) {
        await publish('XRPUSDT', from, 1_000);
        got.push(...ids(await reading.take(1_000)));
      }
      expect(got).toEqual(Array.from({ length: 40_000 }, (_, i) => i + 1));
      await waitFor(() => feed.clientCount <= 1, 'the stalled client to be dropped', 5_000, 100);
      expect(feed.clientCount).toBe(1);
      // The server dropped the connection instead of buffering the rest for it.
      stalled.resume();
      await waitFor(() => stalledClosed, 'the server to close the stalled connection', 5_000, 100);
      expect(stalledClosed).toBe(true);
      await reading.close();
    } finally {
      stalled.destroy();
      api.close();
      await feed.stop();
    }
  }, 120_000);

  it('without a Node server (app.request) the stream is a web stream with the same events', async () => {
    const { api, feed } = await startApi(100_000);
    try {
      const reader = new SseReader(await api.app.request('/v1/stream?symbols=ADAUSDT&channels=trades'));
      await publish('ADAUSDT', 1, 5);
      const got = await reader.take(5);
      expect(ids(got)).toEqual([1, 2, 3, 4, 5]);
      const resumed = new SseReader(await api.app.request('/v1/stream?symbols=ADAUSDT&channels=trades', { headers: { 'last-event-id': got[1].id! } }));
      expect(ids(await resumed.take(3))).toEqual([3, 4, 5]);
      await reader.close();
      await resumed.close();
      await waitFor(() => feed.clientCount === 0, 'every client to leave the feed', 5_000, 100);
      expect(feed.clientCount).toBe(0);
    } finally {
      api.close();
      await feed.stop();
    }
  }, 60_000);

  it('400 for a bad Last-Event-ID or channel', async () => {
    const { api, feed } = await startApi(10);
    try {
      const bad = await open(api, 'channels=trades', 'garbage');
      expect(bad.status).toBe(400);
      expect((await bad.json()).parameter).toBe('Last-Event-ID');
      const badChannel = await open(api, 'channels=orders');
      expect(badChannel.status).toBe(400);
      expect((await badChannel.json()).parameter).toBe('channels');
    } finally {
      api.close();
      await feed.stop();
    }
  }, 60_000);
});
