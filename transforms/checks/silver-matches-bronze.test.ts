import { afterEach, describe, expect, it } from 'vitest';
import { fromScaled, toScaled } from '../../common/decimal.ts';
import type { TradeEvent } from '../../common/events/index.ts';
import { LakeQueryEngine } from '../../lake/index.ts';
import { loadOracleKlines } from '../../test/support/streaming/binance-oracle.ts';
import { oracleLake, oracleTrades, ORACLE_NOW_US, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { runCheck, runCheckSet } from '../../test/support/transforms/quality-run.ts';
import { ConfigError } from '../../common/config.ts';
import { qualityConfigInputFromEnv, type QualityConfigInput } from './config.ts';
import { recomputedMinutesSql } from './silver-matches-bronze.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

const DAY_START_US = Date.UTC(2017, 7, 17) * 1000;
const iso = (us: number) => new Date(us / 1000).toISOString().replace('T', ' ').replace('.000Z', '+00');
const minuteOf = (t: TradeEvent) => Math.floor(t.tradeTimeUs / 60_000_000) * 60_000_000;

/** A trade strictly inside its minute (neither first nor last, nor at the high or low), so dropping it changes only that minute's sums. */
function innerTrade(trades: readonly TradeEvent[]): TradeEvent {
  const byMinute = new Map<number, TradeEvent[]>();
  for (const t of trades) byMinute.set(minuteOf(t), [...(byMinute.get(minuteOf(t)) ?? []), t]);
  for (const m of [...byMinute.values()].sort((a, b) => b.length - a.length)) {
    const prices = m.map((t) => Number(t.price));
    const inner = m.slice(1, -1).find((t) => Number(t.price) > Math.min(...prices) && Number(t.price) < Math.max(...prices));
    if (inner) return inner;
  }
  throw new Error('no inner trade');
}

describe('silver_matches_bronze', () => {
  it("recomputes 1m candles from bronze in SQL equal to Binance's official klines, digit for digit, every minute of the day", async () => {
    const t = await oracleLake();
    lakes.push(t);
    const engine = await LakeQueryEngine.open({ lake: t.lake });
    try {
      const { rows } = await engine.query(
        `WITH ${recomputedMinutesSql(DAY_START_US, ORACLE_NOW_US + 3_600_000_000, 24)}
         SELECT ws_us, open::VARCHAR AS open, high::VARCHAR AS high, low::VARCHAR AS low, close::VARCHAR AS close, volume::VARCHAR AS volume,
           quote_volume::VARCHAR AS quote_volume, trade_count, taker_buy_volume::VARCHAR AS tbv, taker_buy_quote_volume::VARCHAR AS tbq
         FROM recomputed ORDER BY ws_us`,
      );
      const klines = loadOracleKlines();
      expect(rows).toHaveLength(klines.length);
      const norm = (v: string, scale: number) => fromScaled(toScaled(v, scale), scale);
      for (let i = 0; i < klines.length; i++) {
        const k = klines[i];
        expect([Number(rows[i].ws_us) / 1000, rows[i].open, rows[i].high, rows[i].low, rows[i].close, rows[i].volume, norm(String(rows[i].quote_volume), 16), Number(rows[i].trade_count), rows[i].tbv, norm(String(rows[i].tbq), 16)]).toEqual([
          k.openTimeMs, k.open, k.high, k.low, k.close, norm(k.volume, 8), norm(k.quoteVolume, 16), k.tradeCount, norm(k.takerBuyVolume, 8), norm(k.takerBuyQuoteVolume, 16),
        ]);
      }
    } finally {
      engine.close();
    }
  });

  it("passes on what the stream's operator built from the same trades, over the whole day and the default last 6 hours", async () => {
    const t = await oracleLake();
    lakes.push(t);
    expect(await runCheck(t.lake, 'silver_matches_bronze', ORACLE_NOW_US, { lookbackHours: 24 })).toMatchObject({ status: 'pass', failingRows: 0 });
    expect(await runCheck(t.lake, 'silver_matches_bronze', ORACLE_NOW_US)).toMatchObject({ status: 'pass', failingRows: 0 });
  });

  it('fails where the stream never saw a trade that is in bronze, with both versions of the minute', async () => {
    const lost = innerTrade(oracleTrades());
    const t = await oracleLake({ streamed: (trades) => trades.filter((x) => x.tradeId !== lost.tradeId) });
    lakes.push(t);
    const r = await runCheck(t.lake, 'silver_matches_bronze', ORACLE_NOW_US, { lookbackHours: 24 });
    expect(r.status).toBe('fail');
    expect(r.failingRows).toBe(1);
    expect(r.samples[0]).toMatchObject({ symbol: 'BTCUSDT', window_start: iso(minuteOf(lost)) });
    expect(r.samples[0].differences).toEqual(expect.arrayContaining(['volume', 'quote_volume', 'trade_count']));
    const silver = r.samples[0].silver as Record<string, unknown>;
    const recomputed = r.samples[0].recomputed as Record<string, unknown>;
    expect(Number(recomputed.trade_count) - Number(silver.trade_count)).toBe(1);
    expect(fromScaled(toScaled(String(recomputed.volume), 8) - toScaled(String(silver.volume), 8), 8)).toBe(fromScaled(toScaled(lost.qty, 8), 8));
  });

  it('fails on a silver candle whose volume was changed, and on a minute missing from silver', async () => {
    const changedAt = DAY_START_US + 15 * 3_600_000_000 + 7 * 60_000_000;
    const droppedAt = DAY_START_US + 20 * 3_600_000_000 + 33 * 60_000_000;
    const t = await oracleLake({
      candles: (rows) =>
        rows
          .filter((r) => !(r.interval === '1m' && r.window_start === droppedAt))
          .map((r) => (r.interval === '1m' && r.window_start === changedAt ? { ...r, volume: fromScaled(toScaled(String(r.volume), 8) + 100_000_000n, 8) } : r)),
    });
    lakes.push(t);
    const r = await runCheck(t.lake, 'silver_matches_bronze', ORACLE_NOW_US, { lookbackHours: 24 });
    expect(r.samples.map((x) => [x.window_start, x.differences])).toEqual([
      [iso(changedAt), ['volume']],
      [iso(droppedAt), ['missing in silver']],
    ]);
  });

  it("applies the stream's fill gap: a stream run with a shorter one passes only under the same setting (STREAM_MAX_FILL_GAP_MS or the threshold)", async () => {
    // The day has quiet stretches of several minutes: with a 1-minute fill gap the stream leaves
    // every empty minute after the first one of a stretch unwritten (missing, not quiet).
    const t = await oracleLake({ maxFillGapMs: 60_000 });
    lakes.push(t);
    const mismatched = await runCheck(t.lake, 'silver_matches_bronze', ORACLE_NOW_US, { lookbackHours: 24 });
    expect(mismatched.status).toBe('fail');
    expect(mismatched.samples.length).toBeGreaterThan(0);
    expect(mismatched.samples.every((x) => JSON.stringify(x.differences) === '["missing in silver"]')).toBe(true);
    expect(await runCheck(t.lake, 'silver_matches_bronze', ORACLE_NOW_US, { lookbackHours: 24, maxFillGapMinutes: 1 })).toMatchObject({ status: 'pass', failingRows: 0 });
    const fromEnv = qualityConfigInputFromEnv({ STREAM_MAX_FILL_GAP_MS: '60000', QUALITY_CONFIG: '{"checks": {"silver_matches_bronze": {"thresholds": {"lookbackHours": 24}}}}' }) as QualityConfigInput;
    const run = await runCheckSet(t.lake, ORACLE_NOW_US, { only: ['silver_matches_bronze'], config: fromEnv });
    expect(run.results[0]).toMatchObject({ status: 'pass', failingRows: 0 });
    // QUALITY_CONFIG's own value wins over the stream's setting.
    const overridden = qualityConfigInputFromEnv({ STREAM_MAX_FILL_GAP_MS: '60000', QUALITY_CONFIG: '{"checks": {"silver_matches_bronze": {"thresholds": {"maxFillGapMinutes": 180}}}}' }) as QualityConfigInput;
    expect(overridden.checks?.silver_matches_bronze?.thresholds).toEqual({ maxFillGapMinutes: 180 });
    expect(() => qualityConfigInputFromEnv({ STREAM_MAX_FILL_GAP_MS: 'three hours' })).toThrow(ConfigError);
  });

  it('over a range holding a gap of eight years, generates only the minutes the stream fills and passes', async () => {
    // The same day again eight years later (new trade ids): the stream records the years between
    // as missing and fills nothing there; the check must neither expect those minutes nor
    // generate them (a range of years once made it window-scan millions of empty minutes).
    const shiftUs = 8 * 365 * 86_400_000_000;
    const later = (trades: TradeEvent[]) => [...trades, ...trades.map((x) => ({ ...x, tradeId: x.tradeId + 1_000_000_000, tradeTimeUs: x.tradeTimeUs + shiftUs, receivedAtUs: x.receivedAtUs + shiftUs }))];
    const t = await oracleLake({ trades: later });
    lakes.push(t);
    const nowUs = ORACLE_NOW_US + shiftUs;
    const hours = (nowUs - DAY_START_US) / 3_600_000_000 + 1;
    expect(await runCheck(t.lake, 'silver_matches_bronze', nowUs, { lookbackHours: hours })).toMatchObject({ status: 'pass', failingRows: 0 });
    const engine = await LakeQueryEngine.open({ lake: t.lake });
    try {
      const recomputed = (await engine.query(`WITH ${recomputedMinutesSql(DAY_START_US, nowUs + 3_600_000_000, 24)} SELECT count(*) AS n FROM recomputed`)).rows[0];
      const silver = (await engine.query(`SELECT count(*) AS n FROM silver_candles WHERE "interval" = '1m' AND is_final`)).rows[0];
      expect(Number(recomputed.n)).toBe(Number(silver.n));
      expect(Number(silver.n)).toBeLessThan(2 * 1440);
    } finally {
      engine.close();
    }
  });
});
