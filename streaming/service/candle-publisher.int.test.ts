/**
 * Issue 11, item 10: at `--speed max` a burst of provisional candle updates over Kafka's maximum
 * message size was dropped with a warning. The publisher cuts every send into chunks by bytes:
 * a burst of several MB arrives whole.
 */
import { describe, expect, it } from 'vitest';
import type { CandleEvent } from '../../common/events/index.ts';
import { createLogger } from '../../common/logger.ts';
import { createTestTopic, testKafka } from '../../test/infra.ts';
import { readTopic } from '../../test/support/read-topic.ts';
import { CandlePublisher, chunksByBytes, candleMessage, SEND_CHUNK_BYTES } from './candle-publisher.ts';

function candle(i: number): CandleEvent {
  const t = Date.UTC(2024, 0, 1) * 1000 + i * 60_000_000;
  return {
    v: 1, exchange: 'binance', symbol: `S${i % 50}USDT`, interval: '1m', windowStartUs: t, windowEndUs: t + 60_000_000, open: '1.00000000', high: '1.00000000',
    low: '1.00000000', close: '1.00000000', volume: '1.00000000', quoteVolume: '1.0000000000000000', vwap: '1.0000000000000000', tradeCount: 1,
    takerBuyVolume: '0.00000000', takerBuyQuoteVolume: '0.0000000000000000', firstTradeId: i, lastTradeId: i, revision: 0, isFinal: false, finalizedAtUs: null, emittedAtUs: t,
  };
}

describe('candle publisher', () => {
  it('sends a burst of provisional updates several times the broker limit in chunks by bytes; all arrive', async () => {
    const kafka = testKafka();
    const topic = await createTestTopic(kafka, 'provisional-burst', 1);
    const candles = Array.from({ length: 12_000 }, (_, i) => candle(i));
    const bytes = candles.reduce((n, c) => n + JSON.stringify(c).length, 0);
    expect(bytes).toBeGreaterThan(4 * 1024 * 1024);
    const chunks = chunksByBytes(candles.map(candleMessage));
    expect(chunks.every((c) => c.reduce((n, m) => n + Buffer.byteLength(m.key) + Buffer.byteLength(m.value) + 64, 0) <= SEND_CHUNK_BYTES)).toBe(true);
    const publisher = new CandlePublisher(kafka, topic, createLogger('publisher-test', 'warn'), true);
    await publisher.connect();
    try {
      publisher.publishProvisional(candles);
      const got = await readTopic(kafka, topic, candles.length, { timeoutMs: 60_000 });
      expect(got).toHaveLength(candles.length);
      expect(new Set(got.map((m) => (JSON.parse(m.value) as CandleEvent).firstTradeId)).size).toBe(candles.length);
    } finally {
      await publisher.disconnect();
    }
  }, 90_000);
});
