/**
 * Issue 11, item 1: single messages that used to stop the stream for good (and every restart with
 * it): a 921,611-byte invalid message (its dead letter was over the broker's 1 MB limit), a trade
 * whose 300-character symbol cannot be a partition directory, trades dated 1970 and 2100 (an
 * empty-minute fill across decades; a watermark in 2100). Each must become a bounded dead letter
 * with its reason, logged, while valid trades around it are stored; a restart changes nothing.
 */
import { createHash } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_MAX_PAYLOAD_BYTES, tradeKey, type DeadLetter, type TradeEvent } from '../../common/events/index.ts';
import { LakeQueryEngine } from '../../lake/index.ts';
import { readTopic } from '../../test/support/read-topic.ts';
import { capturedLogger } from '../../test/support/streaming/captured-logger.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';
import { testKafka } from '../../test/infra.ts';

const fixtures: StreamFixture[] = [];
afterAll(() => Promise.all(fixtures.map((f) => f.cleanup())));

const NOW_US = Date.now() * 1000;
function trade(id: number, over: Partial<TradeEvent> = {}): TradeEvent {
  const t = NOW_US - 3_600_000_000 + id * 1_000_000;
  return { v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', tradeId: id, price: '42000.10000000', qty: '0.01000000', quoteQty: '420.0010000000000000', isBuyerMaker: false, tradeTimeUs: t, receivedAtUs: t + 500, source: 'ws', ...over };
}

describe('streaming service: poison pills', () => {
  it('dead-letters each one, bounded and logged, stores the valid trades around them, and survives a restart', async () => {
    const kafka = testKafka();
    const fx = await streamFixture(kafka, 'poison', 1);
    fixtures.push(fx);
    const huge = Buffer.alloc(921_611, 'x'); // invalid JSON, under the broker's 1 MB, its base64 over it
    const longSymbol = trade(2, { symbol: 'A'.repeat(300) });
    const y1970 = trade(4, { tradeTimeUs: Date.UTC(1970, 0, 1) * 1000 });
    const y2100 = trade(5, { tradeTimeUs: Date.UTC(2100, 0, 1) * 1000 });
    const y2100Forged = trade(6, { tradeTimeUs: Date.UTC(2100, 0, 1) * 1000, receivedAtUs: Date.UTC(2100, 0, 1) * 1000 });
    const valid = [trade(1), trade(3), trade(7), trade(8)];
    const log = capturedLogger('info');
    let service = await fx.start({ logger: log.logger });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const msg = (t: TradeEvent) => ({ key: tradeKey({ exchange: t.exchange, symbol: t.symbol }), value: JSON.stringify(t) });
    try {
      await producer.send({ topic: fx.topics.trades, messages: [msg(valid[0])] });
      await producer.send({ topic: fx.topics.trades, messages: [{ key: 'binance:BTCUSDT', value: huge }] });
      // The long symbol and a valid trade in the same flush.
      await producer.send({ topic: fx.topics.trades, messages: [{ key: 'binance:BTCUSDT', value: JSON.stringify(longSymbol) }, msg(valid[1])] });
      await producer.send({ topic: fx.topics.trades, messages: [msg(y1970), msg(y2100), msg(y2100Forged), msg(valid[2])] });
      await fx.caughtUp(kafka, 60_000);
      await service.stop();
      expect(service.status().failed).toBeUndefined();
      // A restart reads nothing again and stays up; a trade after it is stored (not late behind a 2100 watermark).
      service = await fx.start({ logger: log.logger });
      await producer.send({ topic: fx.topics.trades, messages: [msg(valid[3])] });
      await fx.caughtUp(kafka, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(service.status().failed).toBeUndefined();
    } finally {
      await producer.disconnect();
      await service.stop();
    }

    const letters = (await readTopic(kafka, fx.topics.deadletter, 5, { timeoutMs: 30_000, settleMs: 1000 })).map((m) => ({ bytes: Buffer.byteLength(m.value), dl: JSON.parse(m.value) as DeadLetter }));
    expect(letters).toHaveLength(5);
    const [big, sym, old, future, forged] = letters.map((l) => l.dl);
    expect(big.reason).toMatch(/^not JSON/);
    expect(big).toMatchObject({ truncated: true, payloadBytes: 921_611, payloadSha256: createHash('sha256').update(huge).digest('hex'), offset: '1' });
    expect(Buffer.from(big.rawBase64, 'base64')).toEqual(huge.subarray(0, DEAD_LETTER_MAX_PAYLOAD_BYTES));
    expect(letters[0].bytes).toBeLessThan(128 * 1024);
    expect(sym.reason).toMatch(/symbol/);
    expect(sym.truncated).toBe(false);
    expect(JSON.parse(Buffer.from(sym.rawBase64, 'base64').toString())).toEqual(longSymbol);
    expect(old.reason).toMatch(/before 2009-01-03/);
    expect(future.reason).toMatch(/after receivedAtUs/);
    expect(forged.reason).toMatch(/in the future/);
    expect(letters.every((l) => l.dl.stage === 'stream' && l.dl.sourceTopic === fx.topics.trades && l.dl.partition === 0)).toBe(true);
    // Logged one by one, with where they came from and why.
    const logged = log.lines.filter((l) => l.msg === 'dead letter');
    expect(logged.map((l) => l.offset)).toEqual(letters.map((l) => l.dl.offset));
    expect(log.lines.filter((l) => l.msg === 'streaming failed')).toEqual([]);

    const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
    try {
      const rows = (await engine.query(`SELECT trade_id FROM bronze_trades ORDER BY trade_id`)).rows.map((r) => Number(r.trade_id));
      expect(rows).toEqual(valid.map((t) => t.tradeId));
    } finally {
      engine.close();
    }
  }, 120_000);
});
