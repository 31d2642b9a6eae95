/**
 * Trades older than the operator's in-memory horizon (STREAM_LATE_RETENTION_MS behind the
 * watermark; the operator keeps at least 2 h): a new one is stored in bronze and its candles are
 * repaired from bronze (revision + 1); a replayed old one is recognised in bronze and dropped.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { TradeEvent } from '../../common/events/index.ts';
import { LakeQueryEngine } from '../../lake/index.ts';
import { testKafka } from '../../test/infra.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';
import { bronzeCounts, checkSilverAgainstBronze } from '../../test/support/streaming/silver-check.ts';
import { publishTrades } from '../../test/support/streaming/trade-stream.ts';

const fixtures: StreamFixture[] = [];
afterAll(() => Promise.all(fixtures.map((f) => f.cleanup())));

const T0 = Date.UTC(2024, 7, 1) * 1000;
function trade(id: number, minute: number, price: string): TradeEvent {
  return { v: 1, exchange: 'binance', symbol: 'ETHUSDT', kind: 'trade', tradeId: id, price, qty: '1.00000000', quoteQty: price, isBuyerMaker: id % 2 === 0, tradeTimeUs: T0 + minute * 60_000_000 + id, receivedAtUs: T0 + minute * 60_000_000 + id, source: 'simulator' };
}

describe('streaming service: trades older than the in-memory horizon', () => {
  it('stores a new one once and revises its candles from bronze; drops a replayed one', async () => {
    const kafka = testKafka();
    const fx = await streamFixture(kafka, 'toolate', 1);
    fixtures.push(fx);
    // One trade a minute for 5 hours, except minute 30 (id 30), which arrives 4.5 hours late.
    const onTime = Array.from({ length: 300 }, (_, m) => trade(m, m, `${2000 + (m % 17)}.00000000`)).filter((t) => t.tradeId !== 30);
    const service = await fx.start({ lateRetentionMs: 2 * 3_600_000, batchMaxMs: 200 });
    try {
      await publishTrades(kafka, fx.topics.trades, onTime);
      await fx.caughtUp(kafka);
      await new Promise((r) => setTimeout(r, 600));
      const late = { ...trade(30, 30, '1999.00000000') };
      const replayedOld = onTime[10];
      await publishTrades(kafka, fx.topics.trades, [late, replayedOld]);
      await fx.caughtUp(kafka);
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      await service.stop();
    }
    const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
    try {
      expect(await bronzeCounts(engine)).toEqual({ rows: 300, distinct: 300 });
      const check = await checkSilverAgainstBronze(engine);
      expect(check.mismatches).toEqual([]);
      const minute30 = await engine.query(
        `SELECT revision, trade_count, low::VARCHAR AS low FROM silver_candles WHERE "interval" = '1m' AND window_start = make_timestamp(${T0 + 30 * 60_000_000})`,
      );
      expect(minute30.rows).toEqual([{ revision: '1', trade_count: '1', low: '1999.00000000' }]);
    } finally {
      engine.close();
    }
  }, 120_000);
});
