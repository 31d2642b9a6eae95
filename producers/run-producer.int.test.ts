/** `marketlake produce simulator` end to end: real Kafka, /health, /metrics, clean stop. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TradeEvent } from '../common/events/index.ts';
import { TOPICS } from '../common/topics.ts';
import { freePort } from '../stack/net.ts';
import { createTopicsWithLeaders } from '../stack/topics.ts';
import { kafkaBrokers, testKafka } from '../test/infra.ts';
import { chooseProducer, startProducer } from './run-producer.ts';
import { loadProducerConfig } from './producer-config.ts';
import { createLogger } from '../common/logger.ts';
import { readTopic } from '../test/support/read-topic.ts';
import { startBinanceLocalServer } from '../test/support/binance/binance-local-server.ts';

describe('produce dispatcher', () => {
  it('runs the simulator into Kafka with /health and /metrics, and stops cleanly', async () => {
    const suffix = `.t${randomUUID().slice(0, 8)}`;
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsWithLeaders(admin, [TOPICS.trades, TOPICS.deadletter].map((t) => ({ topic: `${t}${suffix}`, numPartitions: 3 })));
    await admin.disconnect();
    const port = await freePort();
    const env = { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), PRODUCER_METRICS_PORT: String(port), PRODUCER_TOPIC_SUFFIX: suffix, SIMULATOR_RATE: '2000', SIMULATOR_SYMBOLS: 'BTCUSDT,ETHUSDT', LOG_LEVEL: 'silent' };
    const producer = await startProducer('simulator', { env });
    try {
      let health: { status: string } = { status: '' };
      for (let i = 0; i < 50 && health.status !== 'ok'; i += 1) {
        health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
        if (health.status !== 'ok') await new Promise((r) => setTimeout(r, 200));
      }
      expect(health.status).toBe('ok');
      await new Promise((r) => setTimeout(r, 1_000));
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/marketlake_producer_events_delivered_total\{[^}]*symbol="BTCUSDT"[^}]*\} \d+/);
      expect(metrics).toContain('marketlake_producer_delivery_latency_seconds_bucket');
    } finally {
      await producer.stop();
    }
    await producer.done;
    const messages = await readTopic(kafka, `${TOPICS.trades}${suffix}`, 500);
    const trades = messages.map((m) => JSON.parse(m.value) as TradeEvent);
    expect(new Set(messages.map((m) => m.key))).toEqual(new Set(['sim:BTCUSDT', 'sim:ETHUSDT']));
    for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
      const ids = trades.filter((t) => t.symbol === symbol).map((t) => t.tradeId);
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    }
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('auto: picks the simulator when Binance does not answer, binance when it does (if its module exists)', async () => {
    const logger = createLogger('t', 'silent');
    const closed = await freePort();
    expect(await chooseProducer(loadProducerConfig({ BINANCE_REST_BASE_URL: `http://127.0.0.1:${closed}`, PRODUCER_PROBE_TIMEOUT_MS: '500' }), logger)).toBe('simulator');
    const server = await startBinanceLocalServer();
    try {
      const choice = await chooseProducer(loadProducerConfig({ BINANCE_REST_BASE_URL: server.url }), logger);
      expect(server.requests.map((r) => r.path)).toContain('/api/v3/ping');
      let hasModule = true;
      try {
        const modulePath = './binance/index.ts';
        await import(modulePath);
      } catch {
        hasModule = false;
      }
      expect(choice).toBe(hasModule ? 'binance' : 'simulator');
    } finally {
      await server.close();
    }
  });
});
