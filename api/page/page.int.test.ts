/**
 * The page at / in headless Chromium, against the API over a real lake (the January 2024 klines)
 * and the real live path: a trade published to Kafka goes through the streaming service (in
 * process), which publishes the candle to the candles topic, which the API's live feed streams to
 * the page, whose last candle moves. No console errors; a screenshot is kept under
 * .marketlake/artifacts/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import type { Kafka } from 'kafkajs';
import { createLogger } from '../../common/logger.ts';
import type { StreamService } from '../../streaming/index.ts';
import { LiveFeed } from '../stream/live-feed.ts';
import { createTestTopic, kafkaBrokers, testKafka } from '../../test/infra.ts';
import { buildApiTestLake, type ApiTestLake } from '../../test/support/api-lake.ts';
import { createTestApi, type TestApi } from '../../test/support/api-app.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';
import { publishTrades } from '../../test/support/streaming/trade-stream.ts';

const ARTIFACTS = path.resolve('.marketlake', 'artifacts');
let kafka: Kafka;
let lake: ApiTestLake;
let stream: StreamFixture;
let service: StreamService;
let feed: LiveFeed;
let api: TestApi;
let server: ServerType;
let url: string;
let browser: Browser;

beforeAll(async () => {
  kafka = testKafka();
  lake = await buildApiTestLake();
  stream = await streamFixture(kafka, 'api-page', 1);
  service = await stream.start();
  const alerts = await createTestTopic(kafka, 'api-page-alerts', 1);
  feed = new LiveFeed({ brokers: kafkaBrokers(), topics: { trades: stream.topics.trades, candles: stream.topics.candles, alerts }, logger: createLogger('feed', 'silent') });
  await feed.start();
  api = await createTestApi({ lakeDir: lake.dir, feed });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: api.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  (server as unknown as { closeAllConnections?: () => void })?.closeAllConnections?.();
  server?.close();
  api?.close();
  await feed?.stop();
  await service?.stop();
  await stream?.cleanup();
  lake?.cleanup();
});

it('draws candles from the lake, moves the live candle on a Kafka trade, logs no console error', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/?symbol=BTCUSDT&interval=1m`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  const chart = page.locator('#chart');
  expect(await chart.getAttribute('data-candles')).toBe('500');
  const lastKline = lake.jan2024.at(-1)!;
  expect(Number(await chart.getAttribute('data-last-close'))).toBe(Number(lastKline.close));
  expect(await chart.getAttribute('data-last-time')).toBe(String(lastKline.openTimeUs / 1e6));
  // The chart really drew: its canvases exist and the legend shows the last candle.
  expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
  expect(await page.locator('#legend-ohlc').textContent()).toContain(`C ${Number(lastKline.close)}`);
  expect(await page.locator('#sma-source').textContent()).toContain('silver');
  expect(await page.locator('#fng-value').textContent()).toMatch(/^\d+$/);
  expect(await page.locator('#news li').count()).toBeGreaterThan(0);
  await page.waitForSelector('#live-status[data-state="live"]', { timeout: 15_000 });

  // A trade on Kafka → the streaming service → market.candles (its topic) → the API → the page.
  const now = Date.now();
  const price = '45678.12000000';
  await publishTrades(kafka, stream.topics.trades, [
    { v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', tradeId: 900_000_001, price, qty: '0.50000000', quoteQty: '22839.0600000000000000', isBuyerMaker: false, tradeTimeUs: now * 1000, receivedAtUs: now * 1000, source: 'simulator' },
  ]);
  await page.waitForFunction((p) => Number(document.getElementById('chart')!.dataset.lastClose) === p && Number(document.getElementById('chart')!.dataset.liveCandles ?? 0) > 0, Number(price), { timeout: 30_000 });
  expect(await chart.getAttribute('data-candles')).toBe('501');
  expect(Number(await chart.getAttribute('data-last-time'))).toBe(Math.floor(now / 60_000) * 60);

  // The interval switch reloads from the lake (1d rolled up from 1m).
  await page.click('#intervals button[data-interval="1d"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('interval') === '1d' && document.body.dataset.ready === 'true');
  await page.waitForFunction(() => Number(document.getElementById('chart')!.dataset.candles) >= 31, undefined, { timeout: 15_000 });
  await page.click('#intervals button[data-interval="1m"]');
  await page.waitForFunction(() => Number(document.getElementById('chart')!.dataset.candles) >= 500, undefined, { timeout: 15_000 });

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'api-page.png') });
  expect(errors).toEqual([]);
  await page.close();
}, 120_000);
