/**
 * `marketlake stream` as a user runs it: a real child process with /health and /metrics on
 * STREAM_METRICS_PORT, the four input topics into their bronze tables, invalid events to the
 * dead-letter topic with the reason (and counted), candles on the candles topic, and a clean
 * stop on SIGTERM.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForValue } from '../test/support/streaming/wait.ts';
import { type CandleEvent, type DeadLetter, tradeKey } from '../common/events/index.ts';
import { LakeQueryEngine } from '../lake/index.ts';
import { readTopic } from '../test/support/read-topic.ts';
import { freePort } from '../stack/net.ts';
import { createTestTopic, kafkaBrokers, testKafka } from '../test/infra.ts';
import { loadOracleTrades } from '../test/support/streaming/binance-oracle.ts';

const BIN = fileURLToPath(new URL('../bin/marketlake.js', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('marketlake stream (child process)', () => {
  it('serves /health and /metrics, fills the bronze tables, dead-letters bad events with a reason, stops on SIGTERM', async () => {
    const kafka = testKafka();
    const topics = {
      trades: await createTestTopic(kafka, 'main-trades', 2),
      tickers: await createTestTopic(kafka, 'main-tickers', 1),
      sentiment: await createTestTopic(kafka, 'main-sentiment', 1),
      news: await createTestTopic(kafka, 'main-news', 1),
      candles: await createTestTopic(kafka, 'main-candles', 1),
      deadletter: await createTestTopic(kafka, 'main-dlq', 1),
    };
    const lakeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-stream-main-'));
    dirs.push(lakeDir);
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'stream'], {
      env: {
        ...process.env, LAKE_DIR: lakeDir, KAFKA_BROKERS: kafkaBrokers().join(','), LOG_LEVEL: 'warn', STREAM_METRICS_PORT: String(port),
        STREAM_GROUP_ID: `main-${path.basename(lakeDir)}`, STREAM_TRADES_TOPIC: topics.trades, STREAM_TICKERS_TOPIC: topics.tickers,
        STREAM_SENTIMENT_TOPIC: topics.sentiment, STREAM_NEWS_TOPIC: topics.news, STREAM_CANDLES_TOPIC: topics.candles,
        STREAM_DEADLETTER_TOPIC: topics.deadletter, STREAM_BATCH_MAX_MS: '300', STREAM_SESSION_TIMEOUT_MS: '6000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      // Connection refused until the child listens: such errors mean "not yet".
      const health = await waitForValue('/health', async () => {
        const r = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        const body = (await r?.json().catch(() => undefined)) as { service: string; status: string } | undefined;
        return r?.status === 200 && body?.status === 'ok' ? body : undefined;
      });
      expect(health).toMatchObject({ service: 'stream', status: 'ok' });

      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      const trades = loadOracleTrades().slice(0, 200);
      await producer.send({ topic: topics.trades, messages: [...trades.map((t) => ({ key: tradeKey(t), value: JSON.stringify(t) })), { key: 'binance:BTCUSDT', value: '{"v":1,"price":"oops"}' }, { key: 'x', value: 'not json' }] });
      const now = Date.now() * 1000;
      await producer.send({ topic: topics.tickers, messages: [{ key: 'coingecko:BTC-usd', value: JSON.stringify({ v: 1, source: 'coingecko', coinId: 'bitcoin', symbol: 'BTC', vsCurrency: 'usd', price: '67000.12', sourceTimeUs: now, receivedAtUs: now }) }] });
      await producer.send({ topic: topics.sentiment, messages: [{ key: 'alternative.me:fear_and_greed', value: JSON.stringify({ v: 1, source: 'alternative.me', indicator: 'fear_and_greed', value: 40, classification: 'Fear', asOfUs: now, receivedAtUs: now }) }] });
      await producer.send({ topic: topics.news, messages: [{ key: 'news:coindesk', value: JSON.stringify({ v: 1, feed: 'coindesk', guid: 'g-1', title: 'Bitcoin rallies', publishedAtUs: now, receivedAtUs: now, sentimentScore: 2, sentimentComparative: 0.5, symbols: ['BTC'] }) }] });
      await producer.disconnect();

      const letters = (await readTopic(kafka, topics.deadletter, 2, { timeoutMs: 60_000 })).map((m) => JSON.parse(m.value) as DeadLetter);
      expect(letters.map((l) => l.reason).sort()).toEqual([expect.stringMatching(/^invalid event: /), expect.stringMatching(/^not JSON/)].sort());
      expect(letters.every((l) => l.stage === 'stream' && l.sourceTopic === topics.trades)).toBe(true);
      expect(Buffer.from(letters.find((l) => l.reason.startsWith('not JSON'))!.rawBase64, 'base64').toString()).toBe('not json');

      const engine = await LakeQueryEngine.open({ lake: lakeDir });
      try {
        const counts = await waitForValue('the bronze tables', async () => {
          await engine.refresh();
          const r = (
            await engine.query(`SELECT (SELECT count(*) FROM bronze_trades) AS trades, (SELECT count(*) FROM bronze_tickers) AS tickers,
              (SELECT count(*) FROM bronze_sentiment) AS sentiment, (SELECT count(*) FROM bronze_news) AS news`).catch(() => undefined)
          )?.rows[0];
          if (!r) return undefined;
          return Number(r.trades) === 200 && Number(r.tickers) === 1 && Number(r.sentiment) === 1 && Number(r.news) === 1 ? r : undefined;
        });
        expect(counts).toBeDefined();
      } finally {
        engine.close();
      }
      const candles = (await readTopic(kafka, topics.candles, 4, { timeoutMs: 30_000 })).map((m) => JSON.parse(m.value) as CandleEvent);
      expect(candles.some((c) => c.symbol === 'BTCUSDT' && c.interval === '1m')).toBe(true);

      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/marketlake_stream_events_total\{topic="[^"]*main-trades[^"]*",outcome="deadletter"[^}]*\} 2\n/);
      expect(metrics).toMatch(/marketlake_stream_events_total\{topic="[^"]*main-trades[^"]*",outcome="accepted"[^}]*\} 200\n/);
      expect(metrics).toContain('marketlake_stream_commit_seconds_bucket');
      expect(metrics).toContain('marketlake_stream_consumer_lag');
      expect(metrics).toContain('marketlake_stream_watermark_delay_seconds');
    } finally {
      const code = await new Promise<number | null>((resolve) => {
        child.once('exit', (c) => resolve(c));
        child.kill('SIGTERM');
      });
      expect(code).toBe(0);
    }
  }, 120_000);
});
