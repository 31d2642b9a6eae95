/**
 * Issue 11, items 2 and 3. (2) With live BTCUSDT data in the lake, a replay of the 2017-08-17
 * trades used to fill every empty minute from 2017 to now (~4 GB, then out of memory, at every
 * restart): memory must stay bounded, the day's candles must equal Binance's klines, and the
 * nine-year gap must stay missing. (3) Replayed alone, the day used to end with its last minutes
 * provisional (only newer trades moved the watermark): once the source is idle, processing time
 * moves the watermark on and all 1,200 minutes become final.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { tradeKey, type TradeEvent } from '../../common/events/index.ts';
import { LakeQueryEngine } from '../../lake/index.ts';
import { freePort } from '../../stack/net.ts';
import { kafkaBrokers, testKafka } from '../../test/infra.ts';
import { loadOracleKlines, loadOracleTrades } from '../../test/support/streaming/binance-oracle.ts';
import { streamTestTopics } from '../../test/support/streaming/topics.ts';
import { startStreamProcess } from '../../test/support/streaming/child-stream.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';
import { waitForBronzeToCover, waitForValue } from '../../test/support/streaming/wait.ts';

const dirs: string[] = [];
const fixtures: StreamFixture[] = [];
afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.cleanup()));
  dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const DAY_START_US = Date.UTC(2017, 7, 17) * 1000;
const DAY_END_US = Date.UTC(2017, 7, 18) * 1000;

/** The day's final 1m candles in silver, compared with Binance's official klines. */
async function dayAgainstKlines(engine: LakeQueryEngine): Promise<{ final: number; mismatches: string[] }> {
  await engine.refresh();
  const rows = (
    await engine.query(
      `SELECT epoch_us(window_start) AS ws, open::VARCHAR AS open, high::VARCHAR AS high, low::VARCHAR AS low, close::VARCHAR AS close,
              volume::VARCHAR AS volume, trade_count, is_final FROM silver_candles
       WHERE symbol = 'BTCUSDT' AND "interval" = '1m' AND window_start >= make_timestamp(${DAY_START_US}) AND window_start < make_timestamp(${DAY_END_US}) ORDER BY ws`,
    )
  ).rows;
  const byStart = new Map(rows.map((r) => [Number(r.ws) / 1000, r]));
  const mismatches: string[] = [];
  for (const k of loadOracleKlines()) {
    const r = byStart.get(k.openTimeMs);
    const got = r && { open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume, tradeCount: Number(r.trade_count), final: r.is_final };
    const want = { open: k.open, high: k.high, low: k.low, close: k.close, volume: k.volume, tradeCount: k.tradeCount, final: true };
    if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${new Date(k.openTimeMs).toISOString()}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
  }
  return { final: rows.filter((r) => r.is_final).length, mismatches: mismatches.slice(0, 5) };
}

async function publish(kafka: ReturnType<typeof testKafka>, topic: string, trades: readonly TradeEvent[]): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < trades.length; i += 1000) await producer.send({ topic, messages: trades.slice(i, i + 1000).map((t) => ({ key: tradeKey(t), value: JSON.stringify(t) })) });
  await producer.disconnect();
}

describe('streaming service: history, then live', () => {
  it('replays the 2017 day into a lake with live data: bounded memory, the day equals the klines, the gap stays missing', async () => {
    const kafka = testKafka();
    const topics = await streamTestTopics(kafka, 'history', 3);
    const lakeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-stream-history-'));
    dirs.push(lakeDir);
    const group = `history-${path.basename(lakeDir)}`;
    const stream = startStreamProcess({ lakeDir, group, brokers: kafkaBrokers(), topics, port: await freePort() });
    try {
      // Live: ten minutes of BTCUSDT up to now.
      const nowUs = Date.now() * 1000;
      const live: TradeEvent[] = Array.from({ length: 600 }, (_, i) => {
        const t = nowUs - 600_000_000 + i * 1_000_000;
        return { v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', tradeId: 9_000_000_000 + i, price: '97000.00000000', qty: '0.00100000', quoteQty: '97.0000000000000000', isBuyerMaker: i % 2 === 0, tradeTimeUs: t, receivedAtUs: t + 300, source: 'ws' };
      });
      await publish(kafka, topics.trades, live);
      await waitForBronzeToCover(kafka, lakeDir, group, topics.trades, 60_000);
      await new Promise((r) => setTimeout(r, 1500)); // a flush moves the watermark and prunes
      // History: the real 2017 day, as `marketlake replay` publishes it (source archive, received now).
      await publish(kafka, topics.trades, loadOracleTrades(Date.now() * 1000));
      await waitForBronzeToCover(kafka, lakeDir, group, topics.trades, 60_000);
      const engine = await LakeQueryEngine.open({ lake: lakeDir });
      try {
        // Each flush's too-late trades are repaired right after their bronze commit, windows up to
        // an hour past the latest one included (carried as empty while bronze lacks the trades
        // still on their way): the day has 1,200 final minutes long before the last repair lands.
        // So it is compared once equal to the klines, or as it stands after 60 s.
        const settled = async () => {
          const d = await dayAgainstKlines(engine);
          return d.final >= 1200 && d.mismatches.length === 0 ? d : undefined;
        };
        const day = await waitForValue('the 2017 day in silver equal to the klines', settled, 60_000).catch(() => dayAgainstKlines(engine));
        expect(day).toEqual({ final: 1200, mismatches: [] });
        // Nothing between the day (plus the fill gap after its last trade) and the live data: up
        // to the start of the hour holding the first live trade (its 1h candle starts there, which
        // is more than an hour before now when the test runs in the first minutes of an hour).
        const liveHourUs = Math.floor((nowUs - 600_000_000) / 3_600_000_000) * 3_600_000_000;
        const between = (
          await engine.query(`SELECT count(*) AS n FROM silver_candles_all_revisions WHERE window_start >= make_timestamp(${DAY_END_US + 4 * 3_600_000_000}) AND window_start < make_timestamp(${liveHourUs})`)
        ).rows[0];
        expect(Number(between.n)).toBe(0);
      } finally {
        engine.close();
      }
      const peakMb = stream.peakRssBytes() / 1024 / 1024;
      console.log(`[history] peak RSS of the stream process: ${peakMb.toFixed(0)} MB`);
      expect(peakMb).toBeLessThan(800);
      expect(stream.lines.filter((l) => l.includes('streaming failed'))).toEqual([]);
      // Issue 11, item 10: a file far behind its partition used to reset the partition and seek
      // back after every repair; the repairs stay below the operator's range, so neither happens.
      expect(stream.lines.filter((l) => l.includes('seeking back to the lake offset'))).toEqual([]);
      expect(stream.lines.filter((l) => l.includes('resumed from the lake')).length).toBe(1);
      expect(stream.child.exitCode).toBeNull();
    } finally {
      await stream.stop();
    }
  }, 150_000);

  it('replayed alone, the day ends with all 1,200 minutes final once the source is idle', async () => {
    const kafka = testKafka();
    const fx = await streamFixture(kafka, 'idle', 1);
    fixtures.push(fx);
    const service = await fx.start({ watermarkBoundMs: 0, idleAdvanceMs: 1000 });
    try {
      await publish(kafka, fx.topics.trades, loadOracleTrades());
      await fx.caughtUp(kafka, 60_000);
      const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
      try {
        // The last trade is at 23:58:40.7: the watermark needs ~80 s of processing time to pass 24:00.
        const day = await waitForValue('the 1,200 minutes final', async () => {
          const d = await dayAgainstKlines(engine);
          return d.final >= 1200 ? d : undefined;
        }, 120_000);
        expect(day).toEqual({ final: 1200, mismatches: [] });
        const hours = (await engine.query(`SELECT count(*) FILTER (WHERE is_final) AS n FROM silver_candles WHERE "interval" = '1h' AND window_start < make_timestamp(${DAY_END_US})`)).rows[0];
        expect(Number(hours.n)).toBe(20);
      } finally {
        engine.close();
      }
    } finally {
      await service.stop();
    }
  }, 180_000);
});
