import { afterEach, describe, expect, it } from 'vitest';
import { fromScaled, toScaled } from '../../common/decimal.ts';
import { tickerEventToRow, type LakeRow } from '../../lake/index.ts';
import { coingeckoBitcoin, klinesLake, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { runCheck } from '../../test/support/transforms/quality-run.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;

/**
 * A CoinGecko bitcoin/usd snapshot 30 s into each hour of the last day, priced at Binance's real close of that minute
 * (the recorded CoinGecko payload gives the coin's identity; its own price is in EUR and from another day), `skew` applied to one hour.
 */
function tickers(minutes: readonly LakeRow[], nowUs: number, skew?: { hour: number; factorPct: bigint }): LakeRow[] {
  const coin = coingeckoBitcoin();
  const byStart = new Map(minutes.map((m) => [Number(m.window_start), String(m.close)]));
  return Array.from({ length: 24 }, (_, h) => {
    const at = nowUs - DAY_US + h * HOUR_US;
    let price = toScaled(byStart.get(at)!, 18);
    if (skew && skew.hour === h) price = (price * skew.factorPct) / 100n;
    return tickerEventToRow({ v: 1, source: 'coingecko', coinId: coin.id, symbol: coin.symbol.toUpperCase(), vsCurrency: 'usd', price: fromScaled(price, 18), sourceTimeUs: at + 30_000_000, receivedAtUs: at + 31_000_000 });
  });
}

describe('cross_source_price', () => {
  it('passes when CoinGecko agrees with the Binance close of the same minute', async () => {
    const k = await klinesLake();
    lakes.push(k);
    await (await k.lake.table('bronze/tickers')).append(tickers(k.minutes, k.nowUs));
    expect(await runCheck(k.lake, 'cross_source_price', k.nowUs)).toMatchObject({ status: 'pass', failingRows: 0, observed: 0, threshold: 100 });
  });

  it('fails on a CoinGecko price 5% off, in basis points, beside the Binance close', async () => {
    const k = await klinesLake();
    lakes.push(k);
    await (await k.lake.table('bronze/tickers')).append(tickers(k.minutes, k.nowUs, { hour: 15, factorPct: 105n }));
    const r = await runCheck(k.lake, 'cross_source_price', k.nowUs);
    expect(r).toMatchObject({ status: 'warn', failingRows: 1, observed: 500, threshold: 100 });
    const closeAt15 = k.minutes.find((m) => m.window_start === Date.UTC(2024, 0, 10, 15) * 1000)!.close;
    expect(r.samples[0]).toMatchObject({
      coin_id: 'bitcoin', vs_currency: 'usd', binance_symbol: 'BTCUSDT', source_time: '2024-01-10 15:00:30+00',
      binance_window_start: '2024-01-10 15:00:00+00', binance_close: closeAt15, diff_bps: 500,
    });
    expect(toScaled(String(r.samples[0].aggregator_price), 18)).toBe((toScaled(String(closeAt15), 18) * 105n) / 100n);
  });
});
