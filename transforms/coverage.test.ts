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
import { HOUR_MS, klinesWithHoles } from '../test/support/transforms/coverage-gaps.ts';
import { MODELS, runTransforms, testModels } from './index.ts';

afterAll(() => removeTmpDirs());

const DAY = Date.parse('2024-01-07T00:00:00Z');
const H10 = DAY + 10 * HOUR_MS;
const H14 = DAY + 14 * HOUR_MS;

describe('gold/coverage', () => {
  it('an hour deleted is 60 missing minutes, an hour without trades is 60 quiet minutes', async () => {
    const csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
    const lake = new Lake(tmpLakeDir('coverage-'));
    await loadKlinesIntoSilver(lake, csv, klinesWithHoles(DAY, DAY + 86_400_000, { deleted: [H10], quiet: [H14] }));
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

describe('gold/coverage: days inside a gap longer than a day', () => {
  const JAN = (d: number) => Date.parse(`2024-01-0${d}T00:00:00Z`);
  const ledger = async (lake: Lake) => {
    const engine = await LakeQueryEngine.open({ lake });
    try {
      return (await engine.query(`SELECT CAST("date" AS VARCHAR) AS date, minutes_expected, candles_present, quiet_minutes, missing_minutes FROM gold_coverage WHERE layer = 'silver' ORDER BY 1`)).rows;
    } finally {
      engine.close();
    }
  };
  const expected = [
    { date: '2024-01-01', minutes_expected: '1440', candles_present: '1440', quiet_minutes: '0', missing_minutes: '0' },
    { date: '2024-01-02', minutes_expected: '1440', candles_present: '1440', quiet_minutes: '0', missing_minutes: '0' },
    { date: '2024-01-03', minutes_expected: '1440', candles_present: '0', quiet_minutes: '0', missing_minutes: '1440' },
    { date: '2024-01-04', minutes_expected: '1440', candles_present: '0', quiet_minutes: '0', missing_minutes: '1440' },
    { date: '2024-01-05', minutes_expected: '1440', candles_present: '1440', quiet_minutes: '0', missing_minutes: '0' },
  ];

  it('a full build lists the days without any candle between the first and the latest day as all missing', async () => {
    const csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
    const lake = new Lake(tmpLakeDir('coverage-gap-full-'));
    await loadKlinesIntoSilver(lake, csv, { where: `open_time >= ${JAN(1)} AND open_time < ${JAN(3)}` });
    await loadKlinesIntoSilver(lake, csv, { where: `open_time >= ${JAN(5)} AND open_time < ${JAN(6)}` });
    await runTransforms(lake, MODELS, { select: ['coverage'] });
    expect(await ledger(lake)).toEqual(expected);
    expect((await testModels(lake, MODELS, ['coverage'])).filter((r) => !r.passed)).toEqual([]);
  });

  it('an incremental build adds them when the first day after the gap arrives, as the full build does', async () => {
    const csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
    const lake = new Lake(tmpLakeDir('coverage-gap-incremental-'));
    await loadKlinesIntoSilver(lake, csv, { where: `open_time >= ${JAN(1)} AND open_time < ${JAN(3)}` });
    await runTransforms(lake, MODELS, { select: ['coverage'] });
    expect((await ledger(lake)).map((r) => r.date)).toEqual(['2024-01-01', '2024-01-02']);
    await loadKlinesIntoSilver(lake, csv, { where: `open_time >= ${JAN(5)} AND open_time < ${JAN(6)}` });
    const summary = await runTransforms(lake, MODELS, { select: ['coverage'] });
    const run = summary.models.find((m) => m.model === 'coverage')!;
    // Only the new day and the two gap days before it are rebuilt.
    expect(run.partitions).toEqual([
      { symbol: 'BTCUSDT', date: '2024-01-03' },
      { symbol: 'BTCUSDT', date: '2024-01-04' },
      { symbol: 'BTCUSDT', date: '2024-01-05' },
    ]);
    expect(await ledger(lake)).toEqual(expected);
  });
});
