/**
 * A symbol's first day, built every hour: the second hour's incremental build finds no gold
 * history before its day (nothing is warm yet) and recomputes the day from its first candle,
 * equal to a full build of the two hours.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lake, LakeQueryEngine } from '../../lake/index.ts';
import { removeTmpDirs, tmpLakeDir } from '../../test/support/lake/tmp.ts';
import { KLINES_2024_DIR } from '../../test/fixtures/paths.ts';
import { extractZipCsv, loadKlinesIntoSilver } from '../../test/support/lake-loaders.ts';
import { MODELS, runTransforms } from '../index.ts';

const START = Date.parse('2024-01-01T00:00:00Z');
const HOUR = 3_600_000;
let csv: string;

beforeAll(async () => {
  csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
});
afterAll(() => removeTmpDirs());

async function indicatorRows(lake: Lake) {
  const engine = await LakeQueryEngine.open({ lake });
  try {
    return (await engine.query(`SELECT * EXCLUDE (computed_at) FROM gold_indicators ORDER BY ALL`)).rows;
  } finally {
    engine.close();
  }
}

describe('gold/indicators on a symbol\'s first day', () => {
  it('an hourly build with no history before the day recomputes it from the first candle, equal to a full build', async () => {
    const hourly = new Lake(tmpLakeDir('first-day-'));
    await loadKlinesIntoSilver(hourly, csv, { rollUp: ['5m', '15m', '1h'], where: `open_time >= ${START} AND open_time < ${START + HOUR}` });
    expect((await runTransforms(hourly, MODELS, { select: ['indicators'] })).ok).toBe(true);
    await loadKlinesIntoSilver(hourly, csv, { rollUp: ['5m', '15m', '1h'], where: `open_time >= ${START + HOUR} AND open_time < ${START + 2 * HOUR}` });
    const second = await runTransforms(hourly, MODELS, { select: ['indicators'] });
    expect(second.models.map((m) => [m.model, m.status, m.error])).toEqual([['indicators', 'success', undefined]]);
    expect(second.models[0].partitions).toEqual([{ symbol: 'BTCUSDT', date: '2024-01-01' }]);

    const full = new Lake(tmpLakeDir('first-day-full-'));
    await loadKlinesIntoSilver(full, csv, { rollUp: ['5m', '15m', '1h'], where: `open_time >= ${START} AND open_time < ${START + 2 * HOUR}` });
    expect((await runTransforms(full, MODELS, { select: ['indicators'], fullRefresh: true })).ok).toBe(true);
    const [a, b] = [await indicatorRows(hourly), await indicatorRows(full)];
    expect(a.length).toBe(120 + 24 + 8 + 2 + 1 + 1);
    expect(a).toEqual(b);
  }, 120_000);
});
