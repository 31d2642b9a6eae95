/**
 * The oracle, end to end: the 3,427 real BTCUSDT trades of 2017-08-17 replayed through the real
 * Kafka (producers' replay + publisher) into the streaming service; every 1m candle in
 * silver_candles must equal Binance's official kline on every column (1,200 rows, empty minutes
 * included), and the 5m/15m/1h candles must equal DuckDB's aggregation over bronze.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toScaled } from '../../common/decimal.ts';
import { tradeKey } from '../../common/events/index.ts';
import { createLogger } from '../../common/logger.ts';
import { TOPICS } from '../../common/topics.ts';
import { Lake, LakeQueryEngine } from '../../lake/index.ts';
import { KafkaPublisher, replayArchive } from '../../producers/index.ts';
import { createTestTopic, kafkaBrokers, testKafka } from '../../test/infra.ts';
import { dayEndSentinel, loadOracleKlines, ORACLE_TRADES_FILE } from '../../test/support/streaming/binance-oracle.ts';
import { bronzeCounts, checkSilverAgainstBronze } from '../../test/support/streaming/silver-check.ts';
import { StreamService } from './stream-service.ts';
import { waitForBronzeToCover, waitForValue } from '../../test/support/streaming/wait.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('streaming service: the Binance oracle through real Kafka', () => {
  it('silver 1m candles equal the official klines; 5m/15m/1h equal DuckDB over bronze; replaying again changes nothing', async () => {
    const kafka = testKafka();
    const trades = await createTestTopic(kafka, 'oracle-trades', 1);
    const candles = await createTestTopic(kafka, 'oracle-candles', 1);
    const deadletter = await createTestTopic(kafka, 'oracle-dlq', 1);
    const lakeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-stream-oracle-'));
    dirs.push(lakeDir);
    const logger = createLogger('stream-test', 'warn');
    const lake = new Lake(lakeDir);
    const groupId = `oracle-${path.basename(lakeDir)}`;
    const service = new StreamService({
      brokers: kafkaBrokers(),
      groupId,
      lake,
      logger,
      topics: { trades, tickers: 'unused', sentiment: 'unused', news: 'unused', candles, deadletter },
      inputs: ['trades'],
      batchMaxMs: 300,
    });
    await service.start();
    const engine = await LakeQueryEngine.open({ lake: lakeDir });
    try {
      const publisher = new KafkaPublisher({ brokers: kafkaBrokers(), name: 'replay', logger, topicNames: { [TOPICS.trades]: trades } });
      const replayed = await replayArchive(ORACLE_TRADES_FILE, publisher, { speed: 'max' });
      expect(replayed.published).toBe(3427);
      // Event time passes the end of the day (another symbol's trade): 23:59 becomes final.
      const sentinel = dayEndSentinel();
      await publisher.publish(TOPICS.trades, tradeKey(sentinel), sentinel);
      await publisher.close();

      const rows = await waitForValue('1,200 final 1m candles', async () => {
        await engine.refresh();
        const r = await engine.query(
          `SELECT epoch_ms(window_start) AS open_time, open::VARCHAR AS open, high::VARCHAR AS high, low::VARCHAR AS low, close::VARCHAR AS close,
                  volume::VARCHAR AS volume, epoch_ms(window_end) - 1 AS close_time, quote_volume::VARCHAR AS quote_volume, trade_count,
                  taker_buy_volume::VARCHAR AS taker_buy_volume, taker_buy_quote_volume::VARCHAR AS taker_buy_quote_volume, is_final, revision
           FROM silver_candles WHERE symbol = 'BTCUSDT' AND "interval" = '1m' ORDER BY window_start`,
        ).catch(() => ({ rows: [] as Record<string, unknown>[] }));
        return r.rows.length >= 1200 ? r.rows : undefined;
      });
      const klines = loadOracleKlines();
      expect(rows).toHaveLength(1200);
      for (let i = 0; i < klines.length; i++) {
        const k = klines[i];
        const c = rows[i];
        expect({
          openTimeMs: Number(c.open_time),
          open: c.open,
          high: c.high,
          low: c.low,
          close: c.close,
          // DECIMAL(38,8) and (38,16) columns: compared as exact numbers.
          volume: toScaled(String(c.volume), 8),
          closeTimeMs: Number(c.close_time),
          quoteVolume: toScaled(String(c.quote_volume), 16),
          tradeCount: Number(c.trade_count),
          takerBuyVolume: toScaled(String(c.taker_buy_volume), 8),
          takerBuyQuoteVolume: toScaled(String(c.taker_buy_quote_volume), 16),
        }).toEqual({
          ...k,
          volume: toScaled(k.volume, 8),
          quoteVolume: toScaled(k.quoteVolume, 16),
          takerBuyVolume: toScaled(k.takerBuyVolume, 8),
          takerBuyQuoteVolume: toScaled(k.takerBuyQuoteVolume, 16),
        });
        expect(c.is_final).toBe(true);
      }
      // Silver can be committed one flush before the bronze rows of the same trades (both are
      // recovered from the lake's offsets after a crash): wait until bronze covers every message.
      await waitForBronzeToCover(kafka, lake, groupId, trades);
      await engine.refresh();
      expect(await bronzeCounts(engine)).toEqual({ rows: 3428, distinct: 3428 });
      const higher = await waitForValue('the 1h candle of 23:00', async () => {
        await engine.refresh();
        const r = await engine.query(`SELECT count(*) AS n FROM silver_candles WHERE symbol = 'BTCUSDT' AND "interval" = '1h'`);
        return Number(r.rows[0].n) >= 20 ? true : undefined;
      });
      expect(higher).toBe(true);
      const check = await checkSilverAgainstBronze(engine);
      expect(check.mismatches).toEqual([]);
      expect(check.compared).toBeGreaterThanOrEqual(1200 + 240 + 80 + 20);

      // A second replay of the same file (a producer retry, a re-run): counted once, no new revision.
      const again = new KafkaPublisher({ brokers: kafkaBrokers(), name: 'replay', logger, topicNames: { [TOPICS.trades]: trades } });
      await replayArchive(ORACLE_TRADES_FILE, again, { speed: 'max' });
      await again.close();
      await waitForBronzeToCover(kafka, lake, groupId, trades);
      expect(await bronzeCounts(engine)).toEqual({ rows: 3428, distinct: 3428 });
      await engine.refresh();
      const revised = await engine.query(`SELECT count(*) AS n FROM silver_candles_all_revisions WHERE revision > 0`);
      expect(Number(revised.rows[0].n)).toBe(0);
    } finally {
      engine.close();
      await service.stop();
    }
  }, 180_000);
});
