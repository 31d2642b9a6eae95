/**
 * Must show 2: a price spike planted in real data (January 2024 BTCUSDT 1m klines) raises exactly
 * one price_spike alert; building again, revising the candle, or backfilling the day raises none
 * more, and Kafka receives it once. Whale trades from real trades (2017-08-17) match a SQL count
 * over bronze.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { Lake, LakeQueryEngine } from '../lake/index.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { KLINES_2024_DIR, TRADES_2017_DIR } from '../test/fixtures/paths.ts';
import { extractZipCsv, loadKlinesIntoSilver, loadTradesIntoBronze } from '../test/support/lake-loaders.ts';
import { createTestTopic, testKafka } from '../test/infra.ts';
import { readTopic } from '../test/support/read-topic.ts';
import { DEFAULT_GOLD_CONFIG, MODELS, kafkaAlertSender, publishNewAlerts, runTransforms, testModels } from './index.ts';

const DAY_MS = 86_400_000;
const FROM = Date.parse('2024-01-06T00:00:00Z');
const SPIKE = Date.parse('2024-01-07T12:00:00Z');
const inDays = `open_time >= ${FROM} AND open_time < ${FROM + 2 * DAY_MS}`;
/** The spike: the 12:00 minute's close (and high) 3% above the real one. */
const planted = (factor: string) => `SELECT open_time, open, CASE WHEN open_time = ${SPIKE} THEN CAST(CAST(close AS DECIMAL(18,8)) * ${factor} AS DECIMAL(18,8))::VARCHAR ELSE high END AS high, low,
  CASE WHEN open_time = ${SPIKE} THEN CAST(CAST(close AS DECIMAL(18,8)) * ${factor} AS DECIMAL(18,8))::VARCHAR ELSE close END AS close,
  volume, close_time, quote_volume, count, taker_buy_volume, taker_buy_quote_volume, ignore FROM {{ klines }}`;

let csv: string;
const kafka = testKafka('gold-alerts-test');
let producer: Producer;

beforeAll(async () => {
  csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  removeTmpDirs();
});

async function withEngine<T>(lake: Lake, fn: (engine: LakeQueryEngine) => Promise<T>): Promise<T> {
  const engine = await LakeQueryEngine.open({ lake, readOnly: false });
  try {
    return await fn(engine);
  } finally {
    engine.close();
  }
}

async function spikes(lake: Lake) {
  const engine = await LakeQueryEngine.open({ lake });
  try {
    return (await engine.query(`SELECT alert_id, "interval", epoch_ms(window_start) AS t, value, raised_at FROM gold_alerts WHERE kind = 'price_spike' ORDER BY 1`)).rows;
  } finally {
    engine.close();
  }
}

describe('alerts', () => {
  it('real data without the plant raises no price spike; the planted spike raises exactly one, published once, through re-runs, a revision and a backfill', async () => {
    const clean = new Lake(tmpLakeDir('alerts-clean-'));
    await loadKlinesIntoSilver(clean, csv, { where: inDays });
    expect((await runTransforms(clean, MODELS)).ok).toBe(true);
    expect(await spikes(clean)).toEqual([]);

    const lake = new Lake(tmpLakeDir('alerts-'));
    await loadKlinesIntoSilver(lake, csv, { where: inDays, transform: planted('1.03') });
    const first = await runTransforms(lake, MODELS);
    expect(first.models.filter((m) => m.status === 'failed')).toEqual([]);
    const raised = await spikes(lake);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ alert_id: 'price_spike:binance:BTCUSDT:1m:2024-01-07T12:00:00Z', interval: '1m', t: String(SPIKE) });
    expect(Number(raised[0].value)).toBeGreaterThan(DEFAULT_GOLD_CONFIG.priceSpike.zScore);

    const topic = await createTestTopic(kafka, 'market.alerts.v1.test', 1);
    const send = kafkaAlertSender(producer, topic);
    const published = await publishNewAlerts(lake, send, { topic });
    expect(published.published).toBeGreaterThanOrEqual(1);

    // 1. The same build again: incremental (nothing changed) and full.
    expect((await runTransforms(lake, MODELS)).models.every((m) => m.status === 'skipped')).toBe(true);
    expect((await runTransforms(lake, MODELS, { fullRefresh: true })).ok).toBe(true);
    expect((await publishNewAlerts(lake, send, { topic })).published).toBe(0);

    // 2. A revision of the spiked candle (streaming appends revision 1, still a spike).
    await withEngine(lake, async (engine) => {
      const silver = await lake.table('silver/candles');
      await silver.appendFromSql(
        engine.connection,
        `SELECT * REPLACE (1::BIGINT AS revision, CAST(close * 1.031 AS DECIMAL(18,8)) AS close, CAST(close * 1.031 AS DECIMAL(18,8)) AS high)
         FROM silver_candles WHERE "date" = DATE '2024-01-07' AND window_start = make_timestamptz(${SPIKE * 1000}::BIGINT) AND "interval" = '1m'`,
      );
    });
    const afterRevision = await runTransforms(lake, MODELS);
    expect(afterRevision.models.filter((m) => m.status === 'failed').map((m) => `${m.model}: ${m.error}`)).toEqual([]);
    expect(afterRevision.models.find((m) => m.model === 'indicators')!.partitions).toEqual([{ symbol: 'BTCUSDT', date: '2024-01-07' }]);
    expect((await spikes(lake)).map((r) => [r.alert_id, r.raised_at])).toEqual(raised.map((r) => [r.alert_id, r.raised_at]));
    expect((await publishNewAlerts(lake, send, { topic })).published).toBe(0);

    // 3. A backfill of the day: the day's silver partition replaced by the archive's candles.
    const day = tmpLakeDir('backfill-');
    const dayCsv = path.join(day, 'day.csv');
    fs.writeFileSync(dayCsv, fs.readFileSync(csv, 'utf8').split('\n').filter((l) => { const t = Number(l.split(',')[0]); return t >= FROM + DAY_MS && t < FROM + 2 * DAY_MS; }).join('\n'));
    const staging = new Lake(tmpLakeDir('staging-'));
    await loadKlinesIntoSilver(staging, dayCsv, { transform: planted('1.03') });
    await withEngine(staging, async (engine) => {
      await (await lake.table('silver/candles')).replacePartitionsFromSql(engine.connection, `SELECT * FROM silver_candles_all_revisions`, { partitions: [{ symbol: 'BTCUSDT', date: '2024-01-07' }] });
    });
    expect((await runTransforms(lake, MODELS)).ok).toBe(true);
    expect((await spikes(lake)).map((r) => [r.alert_id, r.raised_at])).toEqual(raised.map((r) => [r.alert_id, r.raised_at]));
    expect((await publishNewAlerts(lake, send, { topic })).published).toBe(0);

    // Kafka holds every alert once, the spike among them.
    const messages = await readTopic(kafka, topic, published.published, { settleMs: 1500 });
    expect(messages).toHaveLength(published.published);
    expect(new Set(messages.map((m) => m.key)).size).toBe(messages.length);
    const spike = messages.filter((m) => m.key === raised[0].alert_id);
    expect(spike).toHaveLength(1);
    expect(JSON.parse(spike[0].value)).toMatchObject({ v: 1, kind: 'price_spike', symbol: 'BTCUSDT', interval: '1m', windowStartUs: SPIKE * 1000 });

    expect((await testModels(lake, MODELS)).filter((r) => !r.passed)).toEqual([]);
  }, 300_000);

  it('whale trades from the real 2017 trades equal a SQL count over bronze, at the default threshold and at $10,000', async () => {
    const lake = new Lake(tmpLakeDir('whales-'));
    await loadTradesIntoBronze(lake, path.join(TRADES_2017_DIR, 'BTCUSDT-trades-2017-08-17.csv'));
    for (const minQuote of [DEFAULT_GOLD_CONFIG.whaleMinQuote, 10_000]) {
      const summary = await runTransforms(lake, MODELS, { select: ['whale_trades+'], fullRefresh: true, config: { ...DEFAULT_GOLD_CONFIG, whaleMinQuote: minQuote } });
      expect(summary.ok).toBe(true);
      const engine = await LakeQueryEngine.open({ lake });
      try {
        const [{ bronze }] = (await engine.query(`SELECT count(DISTINCT trade_id)::INTEGER AS bronze FROM bronze_trades WHERE quote_qty >= ${minQuote}`)).rows;
        const [{ gold, minutes }] = (await engine.query(`SELECT count(*)::INTEGER AS gold, (SELECT count(*)::INTEGER FROM gold_alerts WHERE kind = 'whale_trade') AS minutes FROM gold_whale_trades`)).rows;
        const [{ expectedMinutes }] = (await engine.query(`SELECT count(DISTINCT epoch_ms(trade_time) // 60000)::INTEGER AS expectedMinutes FROM bronze_trades WHERE quote_qty >= ${minQuote}`)).rows;
        expect(gold).toBe(bronze);
        expect(minutes).toBe(expectedMinutes);
        if (minQuote === 10_000) expect(gold).toBe(57);
      } finally {
        engine.close();
      }
    }
  }, 120_000);
});
