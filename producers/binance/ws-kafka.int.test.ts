/**
 * End to end through the real Kafka broker: the websocket producer, fed real 2017-08-17 BTCUSDT
 * trades by the local combined-stream server with a dropped connection and malformed frames,
 * publishes with the KafkaPublisher; the topics then hold every valid trade exactly as sent, in
 * id order within the key and none twice, the gap with its ids, and each bad frame's bytes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { TRADE_GAPS_TOPIC, type TradeGapEvent, type DeadLetter, type TradeEvent } from '../../common/events/index.ts';
import { createLogger } from '../../common/logger.ts';
import { TOPICS, type TopicName } from '../../common/topics.ts';
import { createTestTopic, kafkaBrokers, testKafka } from '../../test/infra.ts';
import { KafkaPublisher } from '../kafka-publisher.ts';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { waitFor } from '../../test/support/wait-for.ts';
import { startBinanceWsServer } from '../../test/support/binance/ws-binance-server.ts';
import { btcTrades20170817, tradeFrame } from '../../test/support/binance/ws-frames.ts';
import { createBinanceWsProducer, loadBinanceWsConfig } from './ws.ts';

const logger = createLogger('test', 'silent');
const btc = btcTrades20170817();
const BAD = ['{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":"x","p":"1","q":"1","T":1,"m":true}}', '\u0000\u0001binary?', '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":5,"p":"-1","q":"1","T":1,"m":true}}'];

interface Read {
  readonly key: string;
  readonly value: string;
  readonly partition: number;
  readonly offset: string;
}

/** Reads several topics from the beginning with one consumer until each has `count` messages (then a little longer, to see duplicates). */
async function readTopics(kafka: Kafka, counts: Record<string, number>, timeoutMs = 30_000): Promise<Record<string, Read[]>> {
  const consumer = kafka.consumer({ groupId: `ws-read-${randomUUID().slice(0, 8)}` });
  const out: Record<string, Read[]> = Object.fromEntries(Object.keys(counts).map((t) => [t, []]));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: Object.keys(counts), fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out: ${JSON.stringify(Object.fromEntries(Object.entries(out).map(([t, m]) => [t, m.length])))}`)), timeoutMs);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) out[batch.topic].push({ key: m.key?.toString() ?? '', value: m.value?.toString() ?? '', partition: batch.partition, offset: m.offset });
          if (Object.entries(counts).every(([t, n]) => out[t].length >= n)) {
            clearTimeout(timer);
            setTimeout(resolve, 300);
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

const server = await startBinanceWsServer();
afterAll(() => server.close());

describe('Binance websocket → KafkaPublisher → Kafka', () => {
  it('delivers every valid trade as sent, the gap, and the dead letters', async () => {
    const kafka = testKafka();
    const trades = await createTestTopic(kafka, 'ws-trades');
    const gaps = await createTestTopic(kafka, 'ws-gaps', 1);
    const dead = await createTestTopic(kafka, 'ws-dead', 1);
    const publisher = new KafkaPublisher({
      brokers: kafkaBrokers(),
      name: 'binance-ws',
      logger,
      registry: new Registry(),
      topicNames: { [TOPICS.trades]: trades, [TOPICS.deadletter]: dead, [TRADE_GAPS_TOPIC]: gaps },
    }).start();
    const config = loadBinanceWsConfig({ BINANCE_WS_BASE_URL: server.url, BINANCE_SYMBOLS: 'BTCUSDT', BINANCE_WS_BACKOFF_INITIAL_MS: '50', BINANCE_WS_BACKOFF_MAX_MS: '100' });
    const stop = new AbortController();
    const producer = createBinanceWsProducer(config, publisher, { signal: stop.signal, logger, registry: new Registry() });
    const running = producer.run();

    const c1 = await server.connection(1);
    await c1.sendAll([...btc.slice(0, 1000).map(tradeFrame), BAD[0], BAD[1], ...btc.slice(1000, 1500).map(tradeFrame)]);
    await waitFor(() => publisher.report().accepted >= 1502, 'connection 1 frames');
    c1.drop();
    const c2 = await server.connection(2);
    await c2.sendAll([...btc.slice(1600).map(tradeFrame), BAD[2]]);
    const validCount = 1500 + (btc.length - 1600);
    await waitFor(() => publisher.report().accepted >= validCount + 1 + BAD.length, 'every event accepted', 20_000);
    stop.abort();
    await running;
    const report = await publisher.close();
    expect(report).toMatchObject({ undelivered: 0, refused: 0, delivered: validCount + 1 + BAD.length });

    // One consumer for the three topics: a consumer group join costs seconds.
    const byTopic = await readTopics(kafka, { [trades]: validCount, [gaps]: 1, [dead]: BAD.length });
    const tradeMessages = byTopic[trades];
    expect(tradeMessages).toHaveLength(validCount);
    expect(new Set(tradeMessages.map((m) => m.partition)).size).toBe(1);
    expect(tradeMessages.every((m) => m.key === 'binance:BTCUSDT')).toBe(true);
    const received = tradeMessages.sort((a, b) => Number(a.offset) - Number(b.offset)).map((m) => JSON.parse(m.value) as TradeEvent);
    const sent = [...btc.slice(0, 1500), ...btc.slice(1600)];
    // Order within the key = id order, none twice, and the decimal strings byte for byte.
    expect(received.map((t) => [t.tradeId, t.price, t.qty, t.isBuyerMaker, t.tradeTimeUs])).toEqual(sent.map((t) => [t.id, t.price, t.qty, t.isBuyerMaker, t.time * 1000]));
    for (const m of tradeMessages.slice(0, 50)) {
      const t = JSON.parse(m.value) as TradeEvent;
      expect(m.value).toContain(`"price":"${btc[t.tradeId].price}","qty":"${btc[t.tradeId].qty}"`);
    }

    const gapMessages = byTopic[gaps];
    expect(gapMessages.map((m) => JSON.parse(m.value) as TradeGapEvent)).toEqual([
      expect.objectContaining({ symbol: 'BTCUSDT', firstMissingTradeId: 1500, lastMissingTradeId: 1599, acrossReconnect: true, status: 'open' }),
    ]);
    expect(gapMessages[0].key).toBe('binance:BTCUSDT');

    const deadMessages = byTopic[dead].map((m) => JSON.parse(m.value) as DeadLetter);
    expect(deadMessages.map((d) => Buffer.from(d.rawBase64, 'base64').toString('utf8'))).toEqual(BAD);
    expect(deadMessages.map((d) => d.reason)).toEqual([expect.stringMatching(/^trade: t:/), expect.stringMatching(/^not JSON/), expect.stringMatching(/^trade: p:/)]);
  });
});
