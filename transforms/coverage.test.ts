/**
 * Must show 4: gold/coverage tells quiet minutes from missing ones. A real day of BTCUSDT 1m
 * klines (2024-01-07) with the 10:00 hour's candles deleted and the 14:00 hour's trades zeroed
 * (candles with volume 0 carrying the previous close, Binance's rule) shows 60 missing and 60
 * quiet minutes for that day.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lake, LakeQueryEngine } from '../lake/index.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { KLINES_2024_DIR } from '../test/fixtures/paths.ts';
import { extractZipCsv, loadKlinesIntoSilver } from '../test/support/lake-loaders.ts';
import { MODELS, runTransforms, testModels } from './index.ts';

afterAll(() => removeTmpDirs());

const DAY = Date.parse('2024-01-07T00:00:00Z');
const H10 = DAY + 10 * 3_600_000;
const H14 = DAY + 14 * 3_600_000;

describe('gold/coverage', () => {
  it('an hour deleted is 60 missing minutes, an hour without trades is 60 quiet minutes', async () => {
    const csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
    const lake = new Lake(tmpLakeDir('coverage-'));
    const lastClose = `(SELECT close FROM {{ klines }} WHERE open_time = ${H14 - 60_000})`;
    await loadKlinesIntoSilver(lake, csv, {
      where: `open_time >= ${DAY} AND open_time < ${DAY + 86_400_000} AND NOT (open_time >= ${H10} AND open_time < ${H10 + 3_600_000})`,
      transform: `SELECT open_time,
          CASE WHEN quiet THEN ${lastClose} ELSE open END AS open, CASE WHEN quiet THEN ${lastClose} ELSE high END AS high,
          CASE WHEN quiet THEN ${lastClose} ELSE low END AS low, CASE WHEN quiet THEN ${lastClose} ELSE close END AS close,
          CASE WHEN quiet THEN '0' ELSE volume END AS volume, close_time, CASE WHEN quiet THEN '0' ELSE quote_volume END AS quote_volume,
          CASE WHEN quiet THEN 0 ELSE count END AS count, CASE WHEN quiet THEN '0' ELSE taker_buy_volume END AS taker_buy_volume,
          CASE WHEN quiet THEN '0' ELSE taker_buy_quote_volume END AS taker_buy_quote_volume, ignore
        FROM (SELECT *, open_time >= ${H14} AND open_time < ${H14 + 3_600_000} AS quiet FROM {{ klines }})`,
    });
    const summary = await runTransforms(lake, MODELS, { select: ['coverage'] });
    expect(summary.models.map((m) => [m.model, m.status, m.error])).toEqual([['coverage', 'success', undefined]]);
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const rows = (await engine.query(`SELECT exchange, symbol, CAST("date" AS VARCHAR) AS date, layer, minutes_expected, candles_present, quiet_minutes, missing_minutes, late_revisions FROM gold_coverage`)).rows;
      expect(rows).toEqual([
        { exchange: 'binance', symbol: 'BTCUSDT', date: '2024-01-07', layer: 'silver', minutes_expected: '1440', candles_present: '1380', quiet_minutes: '60', missing_minutes: '60', late_revisions: '0' },
      ]);
    } finally {
      engine.close();
    }
    expect((await testModels(lake, MODELS, ['coverage'])).filter((r) => !r.passed)).toEqual([]);
  });
});
