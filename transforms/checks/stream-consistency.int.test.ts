/**
 * The consistency checks against what the real streaming service wrote: the 3,427 real trades of
 * 2017-08-17 (and the day-end sentinel) through real Kafka into the stream, then silver_matches_bronze
 * (the SQL recomputation from bronze), rollup_matches_1m, candle_validity and candle_uniqueness over
 * the lake the stream wrote all pass; a trade the stream never saw (appended to bronze behind its
 * back) makes silver_matches_bronze fail on exactly that minute.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { multiplyDecimals } from '../../common/decimal.ts';
import { tradeEventToRow } from '../../lake/index.ts';
import { testKafka } from '../../test/infra.ts';
import { dayEndSentinel } from '../../test/support/streaming/binance-oracle.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';
import { publishTrades } from '../../test/support/streaming/trade-stream.ts';
import { oracleTrades, ORACLE_NOW_US } from '../../test/support/transforms/quality-lakes.ts';
import { runCheckSet } from '../../test/support/transforms/quality-run.ts';
import { Lake } from '../../lake/index.ts';

const kafka = testKafka('quality-stream');
let fixture: StreamFixture | undefined;
afterAll(async () => fixture?.cleanup());

describe('consistency checks on what the stream wrote', () => {
  it('pass on the real stream output of the 2017 oracle day, and catch a trade the stream never saw', async () => {
    fixture = await streamFixture(kafka, 'quality-consistency', 1);
    const service = await fixture.start();
    try {
      await publishTrades(kafka, fixture.topics.trades, [...oracleTrades(), dayEndSentinel()]);
      await fixture.caughtUp(kafka);
      // The last final 1m candle (23:59) lands with the sentinel's watermark: wait for silver to reach the day's end.
      const lake = new Lake(fixture.lakeDir);
      const deadline = Date.now() + 60_000;
      const config = { checks: { silver_matches_bronze: { thresholds: { lookbackHours: 24 } }, rollup_matches_1m: { thresholds: { lookbackHours: 24 } } } };
      const only = ['silver_matches_bronze', 'rollup_matches_1m', 'candle_validity', 'candle_uniqueness', 'missing_minutes'];
      let run = await runCheckSet(lake, ORACLE_NOW_US, { only, config });
      while (run.results.some((r) => r.status !== 'pass') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        run = await runCheckSet(lake, ORACLE_NOW_US, { only, config });
      }
      expect(run.results.map((r) => [r.check, r.status, r.failingRows]).sort()).toEqual(only.map((c) => [c, 'pass', 0]).sort());
    } finally {
      await service.stop();
    }

    // Behind the stream's back (it is stopped): one more trade in bronze, inside 12:00.
    const lake = new Lake(fixture.lakeDir);
    const base = oracleTrades().find((t) => t.tradeTimeUs >= Date.UTC(2017, 7, 17, 12) * 1000)!;
    const sneaked = { ...base, tradeId: 99_999_999, qty: '0.50000000', quoteQty: multiplyDecimals(base.price, '0.50000000') };
    await (await lake.table('bronze/trades')).append([tradeEventToRow(sneaked)]);
    const after = await runCheckSet(lake, ORACLE_NOW_US, { only: ['silver_matches_bronze'], config: { checks: { silver_matches_bronze: { thresholds: { lookbackHours: 24 } } } } });
    const minute = new Date(Math.floor(sneaked.tradeTimeUs / 60e6) * 60e3).toISOString().replace('T', ' ').replace('.000Z', '+00');
    // Its minute, and the quiet minutes after it that carry its (new, last-id) close.
    expect(after.results[0].status).toBe('fail');
    expect(after.results[0].samples[0]).toMatchObject({ window_start: minute });
    expect(after.results[0].samples[0].differences).toEqual(expect.arrayContaining(['volume', 'trade_count']));
  });
});
