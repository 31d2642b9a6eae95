/**
 * gold/market_overview compares CoinGecko's latest price with Binance's newest 1m close: that of
 * the candle's latest revision, read from the newest day's files only.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lake, LakeQueryEngine, type LakeRow } from '../lake/index.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { KLINES_2024_DIR } from '../test/fixtures/paths.ts';
import { extractZipCsv, loadKlinesIntoSilver } from '../test/support/lake-loaders.ts';
import { MODELS, runTransforms } from './index.ts';

afterAll(() => removeTmpDirs());

describe('gold/market_overview', () => {
  it("beside CoinGecko's price, the close of the latest revision of Binance's newest candle", async () => {
    const csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
    const lake = new Lake(tmpLakeDir('overview-'));
    const last = Date.parse('2024-01-07T23:59:00Z');
    await loadKlinesIntoSilver(lake, csv, { where: `open_time >= ${Date.parse('2024-01-06T23:00:00Z')} AND open_time <= ${last}` });
    // The newest candle revised to close at 50,000.
    await loadKlinesIntoSilver(lake, csv, { where: `open_time = ${last}`, transform: `SELECT * REPLACE ('50000' AS close) FROM {{ klines }}`, revision: 1 });
    const us = (iso: string) => Date.parse(iso) * 1000;
    await (await lake.table('bronze/tickers')).append([
      { source: 'coingecko', coin_id: 'bitcoin', symbol: 'btc', vs_currency: 'usd', price: '50500', market_cap: null, volume_24h: null, high_24h: null, low_24h: null, price_change_pct_24h: null, source_time: us('2024-01-08T00:00:30Z'), received_at: us('2024-01-08T00:00:31Z') },
    ] satisfies LakeRow[]);
    const summary = await runTransforms(lake, MODELS, { select: ['market_overview'] });
    expect(summary.models.map((m) => [m.model, m.status, m.error])).toEqual([['market_overview', 'success', undefined]]);
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const { rows } = await engine.query(`SELECT coin, symbol, CAST(binance_close AS DOUBLE) AS close, CAST(binance_time AS VARCHAR) AS t, round(diff_bps, 6) AS bps FROM gold_market_overview`);
      expect(rows).toEqual([{ coin: 'BTC', symbol: 'BTCUSDT', close: 50000, t: '2024-01-08 00:00:00+00', bps: 100 }]);
    } finally {
      engine.close();
    }
  });
});
