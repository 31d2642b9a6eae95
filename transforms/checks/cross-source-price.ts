/**
 * cross_source_price: each CoinGecko price in bronze_tickers (over the look-back) against the
 * Binance close of the 1m candle it falls in (`<SYMBOL><QUOTE>`, e.g. BTC in usd → BTCUSDT), in
 * basis points of the Binance close; more than `maxDiffBps` apart fails. Tickers without a Binance
 * candle within `maxCandleAgeMinutes` are not compared.
 */
import { z } from 'zod';
import { defineCheck } from './check.ts';
import { latestCandlesSql } from './latest-candles.ts';
import { HOUR_US, MINUTE_US, lookbackStart, queryJudgedRows, sqlString, timeRangeSql } from './sql.ts';

export const crossSourcePrice = defineCheck({
  name: 'cross_source_price',
  table: 'bronze/tickers',
  description: 'CoinGecko prices within maxDiffBps of the Binance close of the same minute.',
  severity: 'warn',
  blocking: false,
  thresholds: z
    .object({
      maxDiffBps: z.number().positive().default(100),
      lookbackHours: z.number().positive().nullable().default(24),
      maxCandleAgeMinutes: z.number().positive().default(5),
      /** CoinGecko's vs_currency → the Binance quote asset it is compared with. */
      quotes: z.record(z.string(), z.string()).default({ usd: 'USDT' }),
      exchange: z.string().default('binance'),
    })
    .strict(),
  async run(ctx, t) {
    const fromUs = lookbackStart(ctx, t.lookbackHours);
    const upper = ctx.nowUs + HOUR_US;
    const quotes = Object.entries(t.quotes).map(([vs, q]) => `(${sqlString(vs)}, ${sqlString(q)})`);
    if (quotes.length === 0) return { observed: null, threshold: t.maxDiffBps, failingRows: 0, samples: [] };
    const compared = `WITH quotes(vs_currency, quote) AS (VALUES ${quotes.join(', ')}),
      tickers AS (
        SELECT k.source, k.coin_id, k.symbol AS coin_symbol, k.vs_currency, k.price, k.source_time, upper(k.symbol) || q.quote AS binance_symbol
        FROM bronze_tickers k JOIN quotes q USING (vs_currency) WHERE ${timeRangeSql('k.source_time', fromUs, upper, 'k.date')}
      ), candles AS (
        SELECT symbol, window_start, close FROM ${latestCandlesSql(
          ctx,
          { fromUs: fromUs === undefined ? undefined : fromUs - t.maxCandleAgeMinutes * MINUTE_US, toUs: upper },
          `exchange = ${sqlString(t.exchange)} AND "interval" = '1m'`,
        )}
      )
      SELECT k.source, k.coin_id, k.coin_symbol, k.vs_currency, k.source_time, k.price AS aggregator_price,
        k.binance_symbol, c.window_start AS binance_window_start, c.close AS binance_close,
        round(abs(k.price::DOUBLE - c.close::DOUBLE) / c.close::DOUBLE * 10000, 2) AS diff_bps
      FROM tickers k ASOF JOIN candles c ON c.symbol = k.binance_symbol AND k.source_time >= c.window_start
      WHERE epoch_us(k.source_time) - epoch_us(c.window_start) < ${(t.maxCandleAgeMinutes + 1) * MINUTE_US}`;
    const { failingRows, samples, observed } = await queryJudgedRows(ctx, { rowsSql: compared, failing: `diff_bps > ${t.maxDiffBps}`, observed: 'max(diff_bps)', orderBy: 'diff_bps DESC, source_time' });
    return { observed, threshold: t.maxDiffBps, failingRows, samples };
  },
});
