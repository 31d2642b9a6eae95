/** The publisher against the real Kafka broker of the test run (and a closed port for backpressure). */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createLogger } from '../common/logger.ts';
import { deadLetterSchema, tradeKey, type TradeEvent } from '../common/events/index.ts';
import { TOPICS } from '../common/topics.ts';
import { freePort } from '../stack/net.ts';
import { createTestTopic, kafkaBrokers, testKafka } from '../test/infra.ts';
import { KafkaPublisher, PublisherClosedError } from './kafka-publisher.ts';
import { readTopic } from '../test/support/read-topic.ts';

const logger = createLogger('publisher-test', 'silent');

function trade(symbol: string, id: number): TradeEvent {
  return {
    v: 1, exchange: 'binance', symbol, kind: 'trade', tradeId: id, price: '4261.48000000', qty: `0.${String(id + 1).padStart(8, '0')}`,
    quoteQty: '1.00000000', isBuyerMaker: id % 2 === 0, tradeTimeUs: 1_502_942_428_322_000 + id, receivedAtUs: 1_700_000_000_000_000, source: 'archive',
  };
}

// Both ways of running kafkajs: on a worker thread of its own (the default) and on the caller's.
describe.each([{ senderThread: true }, { senderThread: false }])('KafkaPublisher (senderThread: $senderThread)', ({ senderThread }) => {
  it('delivers every event, keyed <exchange>:<symbol>, in order per key, exactly as given', async () => {
    const kafka = testKafka();
    const topic = await createTestTopic(kafka, 'pub-trades');
    const registry = new Registry();
    const publisher = new KafkaPublisher({ senderThread, brokers: kafkaBrokers(), name: 'test', logger, registry, topicNames: { [TOPICS.trades]: topic }, batchEvents: 200 });
    const sent: TradeEvent[] = [];
    for (let i = 0; i < 1_500; i += 1) {
      const t = trade(['BTCUSDT', 'ETHUSDT', 'SOLUSDT'][i % 3], i);
      sent.push(t);
      await publisher.publish(TOPICS.trades, tradeKey(t), t);
    }
    const report = await publisher.close();
    expect(report).toMatchObject({ accepted: 1_500, delivered: 1_500, undelivered: 0, deadLettered: 0, buffered: 0 });

    const received = await readTopic(kafka, topic, 1_500);
    expect(received).toHaveLength(1_500);
    const byKey = new Map<string, TradeEvent[]>();
    for (const m of received) byKey.set(m.key, [...(byKey.get(m.key) ?? []), JSON.parse(m.value) as TradeEvent]);
    for (const symbol of ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']) {
      expect(byKey.get(`binance:${symbol}`)).toEqual(sent.filter((t) => t.symbol === symbol));
    }
    const metrics = await registry.getSingleMetricAsString('marketlake_producer_events_delivered_total');
    expect(metrics).toContain('symbol="BTCUSDT"');
    expect(metrics).toMatch(/symbol="ETHUSDT"[^\n]*} 500/);
  });

  it('dead-letters an invalid event with the reason and the raw bytes, and keeps going', async () => {
    const kafka = testKafka();
    const tradesTopic = await createTestTopic(kafka, 'pub-valid');
    const deadTopic = await createTestTopic(kafka, 'pub-dead', 1);
    const publisher = new KafkaPublisher({
      brokers: kafkaBrokers(), name: 'test', logger, topicNames: { [TOPICS.trades]: tradesTopic, [TOPICS.deadletter]: deadTopic },
    });
    const bad = { ...trade('BTCUSDT', 1), price: '4,261.48' };
    await publisher.publish(TOPICS.trades, 'binance:BTCUSDT', bad, 'wss://example/stream');
    await publisher.publish(TOPICS.trades, 'binance:BTCUSDT', trade('BTCUSDT', 2));
    await publisher.publish('market.unknown.v1', 'binance:BTCUSDT', { anything: true });
    const report = await publisher.close();
    expect(report).toMatchObject({ delivered: 3, deadLettered: 2, undelivered: 0 });

    const letters = (await readTopic(kafka, deadTopic, 2)).map((m) => deadLetterSchema.parse(JSON.parse(m.value)));
    expect(letters).toHaveLength(2);
    expect(letters[0].reason).toContain('price: must be a non-negative decimal string');
    expect(letters[0].reason).toContain(TOPICS.trades);
    expect(letters[0].origin).toBe('wss://example/stream');
    expect(JSON.parse(Buffer.from(letters[0].rawBase64, 'base64').toString('utf8'))).toEqual(bad);
    expect(letters[1].reason).toContain('no schema is known for topic market.unknown.v1');
    const good = await readTopic(kafka, tradesTopic, 1);
    expect(JSON.parse(good[0].value)).toEqual(trade('BTCUSDT', 2));
  });

  it('makes publish wait when the broker is unreachable and the buffer is full, then reports what was not delivered', async () => {
    const closedPort = await freePort();
    const publisher = new KafkaPublisher({ senderThread, brokers: [`127.0.0.1:${closedPort}`], name: 'test', logger, bufferEvents: 5, connectionTimeoutMs: 200 });
    for (let i = 0; i < 5; i += 1) await publisher.publish(TOPICS.trades, 'binance:BTCUSDT', trade('BTCUSDT', i));
    let sixthSettled = false;
    const sixth = publisher.publish(TOPICS.trades, 'binance:BTCUSDT', trade('BTCUSDT', 5)).finally(() => {
      sixthSettled = true;
    });
    sixth.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sixthSettled).toBe(false);
    expect(publisher.report()).toMatchObject({ accepted: 5, delivered: 0, buffered: 5 });
    expect(publisher.health().status).toBe('down');

    const report = await publisher.close({ timeoutMs: 300 });
    await expect(sixth).rejects.toBeInstanceOf(PublisherClosedError);
    expect(report).toMatchObject({ accepted: 5, delivered: 0, undelivered: 5, refused: 1, buffered: 0 });
  });
});

describe('KafkaPublisher with its sender thread', () => {
  it('reports down on /health and counts what it could not send when its sender thread dies', async () => {
    const kafka = testKafka();
    const topic = await createTestTopic(kafka, 'pub-dead-thread');
    const publisher = new KafkaPublisher({ brokers: kafkaBrokers(), name: 'test', logger, topicNames: { [TOPICS.trades]: topic } });
    publisher.start();
    while (!publisher.isConnected) await new Promise((r) => setTimeout(r, 20));
    expect(publisher.health().status).toBe('ok');
    // The thread dies (a crash, an out-of-memory kill).
    await (publisher as unknown as { kafkaSender: { rpc: { worker: { terminate(): Promise<number> } } } }).kafkaSender.rpc.worker.terminate();
    await publisher.publish(TOPICS.trades, 'binance:BTCUSDT', trade('BTCUSDT', 1));
    const health = publisher.health();
    expect(health.status).toBe('down');
    expect(health.checks?.kafka?.detail).toMatch(/sender thread exited/);
    const report = await publisher.close({ timeoutMs: 2_000 });
    expect(report).toMatchObject({ accepted: 1, delivered: 0, undelivered: 1 });
  });
});
