/**
 * Recovery's reconciliation of silver with bronze (recovery.ts) is bounded by what can have
 * changed: on a lake with years of a symbol's history, a resume compares only the partitions
 * written within STREAM_RECONCILE_LOOKBACK_HOURS before the partition's last bronze commit, and
 * still finds and repairs a trade a previous owner committed to bronze without repairing silver
 * (its repair lost to a revocation or a fenced commit), also when the next owner starts only after
 * an outage longer than the look-back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { TradeEvent } from '../../common/events/index.ts';
import { Lake, LakeQueryEngine, tradeEventToRow } from '../../lake/index.ts';
import { testKafka } from '../../test/infra.ts';
import { capturedLogger } from '../../test/support/streaming/captured-logger.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';
import { checkSilverAgainstBronze } from '../../test/support/streaming/silver-check.ts';
import { publishTrades } from '../../test/support/streaming/trade-stream.ts';

const fixtures: StreamFixture[] = [];
afterAll(() => Promise.all(fixtures.map((f) => f.cleanup())));

const MINUTE_US = 60_000_000;
const DAY_US = 24 * 60 * MINUTE_US;
const RECENT_US = Date.UTC(2024, 7, 1) * 1000;
/** History: 3 trades on each of 40 days spread over 2017-2019 (one bronze partition each). */
const OLD_DAYS = 40;
const OLD_FROM_US = Date.UTC(2017, 7, 17) * 1000;

function trade(id: number, timeUs: number, price: string): TradeEvent {
  return { v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', tradeId: id, price, qty: '0.50000000', quoteQty: (Number(price) / 2).toFixed(8), isBuyerMaker: id % 2 === 0, tradeTimeUs: timeUs, receivedAtUs: timeUs, source: 'simulator' };
}

describe('streaming service: the reconciliation of silver with bronze on a resume', () => {
  it('reads only the partitions written within the look-back, and repairs a lost repair there', async () => {
    const kafka = testKafka();
    const fx = await streamFixture(kafka, 'reconcile', 1);
    fixtures.push(fx);
    const lookbackMs = 2_000;
    const old = Array.from({ length: OLD_DAYS * 3 }, (_, i) => trade(i + 1, OLD_FROM_US + Math.floor(i / 3) * 25 * DAY_US + (i % 3) * 7 * MINUTE_US, `${4000 + i}.00000000`));
    // Then a day of today's stream: a trade a minute for 5 hours (ids from 1000).
    const recent = Array.from({ length: 300 }, (_, m) => trade(1000 + m, RECENT_US + m * MINUTE_US + 1, `${60000 + (m % 13)}.00000000`));

    // The first owner builds bronze and silver from all of it.
    // (its gap warnings are expected: the history has 25-day gaps)
    const first = await fx.start({ lateRetentionMs: 2 * 3_600_000, batchMaxMs: 200, reconcileLookbackMs: lookbackMs, logger: capturedLogger('error').logger });
    try {
      await publishTrades(kafka, fx.topics.trades, [...old, ...recent]);
      await fx.caughtUp(kafka);
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      await first.stop();
    }
    // Everything so far is older than the look-back when the next owner resumes.
    await new Promise((r) => setTimeout(r, lookbackMs + 1_500));

    // A previous owner's last commit: a trade too late for its horizon (hour 0 of today, below the
    // retained range), in bronze with its partition's position, whose silver repair was lost.
    const lake = new Lake(fx.lakeDir);
    const bronze = await lake.table('bronze/trades');
    const appId = `stream:${fx.group}:${fx.topics.trades}:0`;
    const position = bronze.snapshot().txnVersion(appId)!;
    const planted = trade(999_999, RECENT_US + 30 * MINUTE_US + 5, '59999.00000000');
    await bronze.append([tradeEventToRow(planted)], { txn: [{ appId, version: position }] });
    const bronzeDates = new Set(bronze.snapshot().addFiles().map((f) => f.partitionValues.date));
    expect(bronzeDates.size).toBe(OLD_DAYS + 1);

    // The next owner comes after an outage longer than the look-back: the window ends at the
    // partition's last bronze commit (its `txn`), not at now, so the lost repair is still inside.
    await new Promise((r) => setTimeout(r, lookbackMs + 1_500));

    const { logger, lines } = capturedLogger('info');
    const second = await fx.start({ lateRetentionMs: 2 * 3_600_000, batchMaxMs: 200, reconcileLookbackMs: lookbackMs, logger });
    try {
      // One more on-time trade: the partition's first batch resumes it.
      await publishTrades(kafka, fx.topics.trades, [trade(1300, RECENT_US + 300 * MINUTE_US + 1, '60001.00000000')]);
      await fx.caughtUp(kafka);
      const deadline = Date.now() + 30_000;
      while (!lines.some((l) => l.msg === 'repaired candles from bronze after trades older than the retention horizon') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await second.stop();
    }
    const resumed = lines.filter((l) => l.msg === 'resumed from the lake');
    expect(resumed.length).toBeGreaterThan(0);
    // 41 dates of bronze history; the reconciliation compared the one written lately.
    expect(resumed[0]).toMatchObject({ symbols: 1, reconciledPartitions: 1, unreconciled: 1 });

    const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
    try {
      const check = await checkSilverAgainstBronze(engine);
      expect(check.mismatches).toEqual([]);
      const minute30 = await engine.query(
        `SELECT revision, trade_count, low::VARCHAR AS low FROM silver_candles WHERE "interval" = '1m' AND window_start = make_timestamp(${RECENT_US + 30 * MINUTE_US})`,
      );
      expect(minute30.rows).toEqual([{ revision: '1', trade_count: '2', low: '59999.00000000' }]);
      const hour0 = await engine.query(`SELECT revision, trade_count FROM silver_candles WHERE "interval" = '1h' AND window_start = make_timestamp(${RECENT_US})`);
      expect(hour0.rows).toEqual([{ revision: '1', trade_count: '61' }]);
    } finally {
      engine.close();
    }
  }, 180_000);
});
