/**
 * Issue 11, item 2: a gap in a symbol's trades longer than STREAM_MAX_FILL_GAP_MS gets no candles
 * (never materialised), and is recorded as missing rather than only absent: the running service
 * counts its minutes per symbol (marketlake_stream_missing_minutes_total) and logs its range, and
 * silver holds no candle inside it (the coverage ledger counts those minutes as missing).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { TradeEvent } from '../../common/events/index.ts';
import { createMetricsRegistry } from '../../common/metrics.ts';
import { LakeQueryEngine } from '../../lake/index.ts';
import { testKafka } from '../../test/infra.ts';
import { capturedLogger } from '../../test/support/streaming/captured-logger.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';
import { lakeOutcome } from '../../test/support/streaming/silver-check.ts';
import { publishTrades } from '../../test/support/streaming/trade-stream.ts';
import { waitForValue } from '../../test/support/streaming/wait.ts';
import { StreamMetrics } from './stream-metrics.ts';

const fixtures: StreamFixture[] = [];
afterAll(async () => {
  for (const f of fixtures) await f.cleanup();
});

const MINUTE_US = 60_000_000;
const T0 = Date.UTC(2024, 2, 1, 9, 0, 0) * 1000;

function trade(id: number, timeUs: number): TradeEvent {
  return { v: 1, exchange: 'binance', symbol: 'ETHUSDT', kind: 'trade', tradeId: id, price: '3400.10000000', qty: '0.50000000', quoteQty: '1700.0500000000000000', isBuyerMaker: id % 2 === 0, tradeTimeUs: timeUs, receivedAtUs: timeUs, source: 'archive' };
}

describe('streaming service: a gap longer than the fill gap', () => {
  it('counts its minutes per symbol, logs its range, and writes no candle inside it', async () => {
    const kafka = testKafka();
    const fx = await streamFixture(kafka, 'gaps', 1);
    fixtures.push(fx);
    const log = capturedLogger('info');
    const metrics = new StreamMetrics(createMetricsRegistry('stream-gaps-test', { defaultMetrics: false }));
    const service = await fx.start({ logger: log.logger, metrics, watermarkBoundMs: 0 });
    try {
      // Trading 09:00-09:05, silent until 15:00, trading 15:00-15:10 (the last minutes pass the watermark).
      const before = Array.from({ length: 6 }, (_, i) => trade(1 + i, T0 + i * MINUTE_US + 1_000_000));
      const resumedUs = T0 + 6 * 60 * MINUTE_US;
      const after = Array.from({ length: 11 }, (_, i) => trade(100 + i, resumedUs + i * MINUTE_US + 2_000_000));
      await publishTrades(kafka, fx.topics.trades, [...before, ...after]);
      await fx.caughtUp(kafka, 60_000);
      // The last traded minute is 09:05; quiet minutes are filled for the default 3 h, through 12:05.
      const gapFromUs = T0 + (5 + 180 + 1) * MINUTE_US;
      const closed = await waitForValue(
        'the gap logged whole',
        async () => log.lines.find((l) => l.msg?.startsWith('gap in trades: minutes left missing')),
        30_000,
      );
      const minutes = (resumedUs - gapFromUs) / MINUTE_US;
      expect(closed).toMatchObject({ symbol: 'binance:ETHUSDT', from: new Date(gapFromUs / 1000).toISOString(), until: new Date(resumedUs / 1000).toISOString(), minutes });
      expect(log.lines.filter((l) => l.msg?.startsWith('gap in trades: minutes from here on are missing')).map((l) => l.from)).toEqual([new Date(gapFromUs / 1000).toISOString()]);
      const counter = (await metrics.missingMinutes.get()).values.find((v) => v.labels.symbol === 'binance:ETHUSDT');
      expect(counter?.value).toBe(minutes);

      const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
      try {
        const inside = await engine.query(
          `SELECT count(*) AS n FROM silver_candles_all_revisions WHERE "interval" = '1m' AND window_start >= make_timestamp(${gapFromUs}) AND window_start < make_timestamp(${resumedUs})`,
        );
        expect(Number(inside.rows[0].n)).toBe(0);
        const filled = await engine.query(`SELECT count(*) AS n FROM silver_candles WHERE "interval" = '1m' AND window_start < make_timestamp(${gapFromUs})`);
        expect(Number(filled.rows[0].n)).toBe(6 + 180);
      } finally {
        engine.close();
      }
      expect((await lakeOutcome(fx.lakeDir)).silver.mismatches).toEqual([]);
    } finally {
      await service.stop();
    }
  }, 90_000);
});
