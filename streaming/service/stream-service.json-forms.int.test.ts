/**
 * Every JSON form a trade message can legally take (one line, pretty-printed over several lines,
 * a duplicated key, where JSON.parse keeps the last) lands in bronze with exactly the values the
 * service parsed and counted in its candles.
 */
import { Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { tradeKey, type TradeEvent } from '../../common/events/index.ts';
import { LakeQueryEngine } from '../../lake/index.ts';
import { testKafka } from '../../test/infra.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';

const fixtures: StreamFixture[] = [];
afterAll(() => Promise.all(fixtures.map((f) => f.cleanup())));

const base: TradeEvent = { v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', tradeId: 1, price: '100.00000000', qty: '0.50000000', quoteQty: '50.0000000000000001', isBuyerMaker: false, tradeTimeUs: Date.UTC(2024, 1, 1) * 1000, receivedAtUs: Date.UTC(2024, 1, 1) * 1000, source: 'ws' };

describe('streaming service: JSON forms of a trade', () => {
  it('stores plain, pretty-printed and duplicate-key messages with the values the service parsed', async () => {
    const kafka = testKafka();
    const fx = await streamFixture(kafka, 'rawjson', 1);
    fixtures.push(fx);
    const service = await fx.start();
    try {
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      const plain = JSON.stringify(base);
      const pretty = JSON.stringify({ ...base, tradeId: 2, price: '101.00000000', quoteQty: '50.5' }, null, 2);
      // JSON.parse keeps the last of duplicated keys: price 102.
      const duplicated = JSON.stringify({ ...base, tradeId: 3 }).replace('"price":"100.00000000"', '"price":"999.00000000","price":"102.00000000"');
      await producer.send({ topic: fx.topics.trades, messages: [plain, pretty].map((value) => ({ key: tradeKey(base), value })) });
      await fx.caughtUp(kafka);
      await producer.send({ topic: fx.topics.trades, messages: [{ key: tradeKey(base), value: duplicated }] });
      await producer.disconnect();
      await fx.caughtUp(kafka);
    } finally {
      await service.stop();
    }
    const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
    try {
      const rows = (await engine.query(`SELECT trade_id, price::VARCHAR AS price, quote_qty::VARCHAR AS quote_qty, epoch_us(trade_time) AS t, kind, source FROM bronze_trades ORDER BY trade_id`)).rows;
      expect(rows).toEqual([
        { trade_id: '1', price: '100.00000000', quote_qty: '50.0000000000000001', t: String(base.tradeTimeUs), kind: 'trade', source: 'ws' },
        { trade_id: '2', price: '101.00000000', quote_qty: '50.5000000000000000', t: String(base.tradeTimeUs), kind: 'trade', source: 'ws' },
        { trade_id: '3', price: '102.00000000', quote_qty: '50.0000000000000001', t: String(base.tradeTimeUs), kind: 'trade', source: 'ws' },
      ]);
    } finally {
      engine.close();
    }
  }, 120_000);
});
