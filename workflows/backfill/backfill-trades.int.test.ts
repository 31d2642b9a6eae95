/**
 * Must-show 6 of issue 13: a backfill from the 2017-08-17 trades archive (and its aggTrades)
 * writes bronze, and silver computed by the streaming service's candle operator equals Binance's
 * own 1m klines for that day, digit for digit.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalDecimal } from '../../test/support/archive-oracle.ts';
import { loadOracleKlines } from '../../test/support/streaming/binance-oracle.ts';
import { workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import type { BackfillResult } from './types.ts';

let fx: WorkflowsFixture;

async function backfill(source: string): Promise<BackfillResult> {
  const handle = await fx.client.workflow.start('backfill', {
    taskQueue: 'marketlake-backfill',
    workflowId: `trades-${randomUUID().slice(0, 8)}`,
    args: [{ symbols: ['BTCUSDT'], from: '2017-08-17', to: '2017-08-17', source, mode: 'all' } as never],
  });
  return (await handle.result()) as BackfillResult;
}

function expectSilverEqualsOfficialKlines(rows: Record<string, unknown>[]): void {
  const klines = loadOracleKlines();
  expect(rows).toHaveLength(klines.length);
  const c = canonicalDecimal;
  expect(rows.map((r) => [Number(r.t), c(String(r.o)), c(String(r.h)), c(String(r.l)), c(String(r.c)), c(String(r.v)), c(String(r.qv)), Number(r.n), c(String(r.tbv)), c(String(r.tbqv))])).toEqual(
    klines.map((k) => [k.openTimeMs, c(k.open), c(k.high), c(k.low), c(k.close), c(k.volume), c(k.quoteVolume), k.tradeCount, c(k.takerBuyVolume), c(k.takerBuyQuoteVolume)]),
  );
}

const ONE_MINUTE = `SELECT epoch_ms(window_start) AS t, open::VARCHAR AS o, high::VARCHAR AS h, low::VARCHAR AS l, close::VARCHAR AS c, volume::VARCHAR AS v, quote_volume::VARCHAR AS qv,
  trade_count AS n, taker_buy_volume::VARCHAR AS tbv, taker_buy_quote_volume::VARCHAR AS tbqv, source FROM silver_candles WHERE symbol = 'BTCUSDT' AND date = DATE '2017-08-17' AND "interval" = '1m' ORDER BY window_start`;

beforeAll(async () => {
  fx = await workflowsFixture('backfill-trades');
}, 120_000);
afterAll(async () => fx?.cleanup());

describe('backfill from trades archives', () => {
  it('source trades: bronze holds the 3,427 archive trades; silver 1m equals Binance\'s klines for the day', async () => {
    const result = await backfill('trades');
    expect(result.failed).toEqual([]);
    expect(result.progress.partitions).toMatchObject({ total: 1, done: 1 });
    const [bronze] = await fx.query(`SELECT count(*) AS n, count(DISTINCT trade_id) AS ids, min(source) AS s, max(source) AS s2 FROM bronze_trades WHERE symbol = 'BTCUSDT' AND date = DATE '2017-08-17'`);
    expect(bronze).toMatchObject({ n: '3427', ids: '3427', s: 'archive', s2: 'archive' });
    const rows = await fx.query(ONE_MINUTE);
    expectSilverEqualsOfficialKlines(rows);
    expect(new Set(rows.map((r) => r.source))).toEqual(new Set(['trades']));
    // Larger windows exist too, from the same operator, and the day's last hour is final.
    const [larger] = await fx.query(`SELECT count(*) FILTER (WHERE "interval" = '1h') AS h, count(*) FILTER (WHERE "interval" = '5m') AS m5, bool_and(is_final) AS fin FROM silver_candles WHERE date = DATE '2017-08-17'`);
    expect(larger).toMatchObject({ h: '20', m5: '240', fin: true });
  }, 120_000);

  it('source aggTrades rewrites the day (a newer revision) with the same candles; running it twice adds nothing', async () => {
    await backfill('aggTrades');
    const rows = await fx.query(ONE_MINUTE);
    expectSilverEqualsOfficialKlines(rows);
    expect(new Set(rows.map((r) => r.source))).toEqual(new Set(['aggTrades']));
    await backfill('aggTrades');
    const [counts] = await fx.query(`SELECT count(*) AS n, count(DISTINCT ("interval", window_start)) AS k FROM silver_candles_all_revisions WHERE date = DATE '2017-08-17'`);
    expect(counts.n).toBe(counts.k);
    const [bronze] = await fx.query(`SELECT count(*) FILTER (WHERE kind = 'trade') AS t, count(*) FILTER (WHERE kind = 'aggTrade') AS a FROM bronze_trades WHERE date = DATE '2017-08-17'`);
    // The trades stay; the aggregate trades are added once.
    expect(Number(bronze.t)).toBe(3427);
    expect(Number(bronze.a)).toBeGreaterThan(0);
    expect(Number(bronze.a)).toBeLessThanOrEqual(3427);
  }, 120_000);
});
