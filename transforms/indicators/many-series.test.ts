/**
 * gold/indicators over several symbols and exchanges at once (the model codes them as ENUMs and
 * appends each symbol's rows to one table): the same real klines loaded as BTCUSDT and ETHUSDT on
 * binance and as BTCUSDT on a second exchange give the same indicators under each name, and an
 * hour appended to all three, built incrementally, equals the full build.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lake, LakeQueryEngine } from '../../lake/index.ts';
import { removeTmpDirs, tmpLakeDir } from '../../test/support/lake/tmp.ts';
import { KLINES_2024_DIR } from '../../test/fixtures/paths.ts';
import { extractZipCsv, loadKlinesIntoSilver } from '../../test/support/lake-loaders.ts';
import { MODELS, runTransforms } from '../index.ts';

const START = Date.parse('2024-01-01T00:00:00Z');
const LAST_HOUR = Date.parse('2024-01-02T23:00:00Z');
const END = Date.parse('2024-01-03T00:00:00Z');
const SERIES = [
  { exchange: 'binance', symbol: 'BTCUSDT' },
  { exchange: 'binance', symbol: 'ETHUSDT' },
  { exchange: 'otherex', symbol: 'BTCUSDT' },
];
let csv: string;

beforeAll(async () => {
  csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
});
afterAll(() => removeTmpDirs());

async function load(lake: Lake, where: string) {
  for (const s of SERIES) await loadKlinesIntoSilver(lake, csv, { ...s, rollUp: ['5m', '15m', '1h'], where });
}

async function rows(lake: Lake, where = 'true') {
  const engine = await LakeQueryEngine.open({ lake });
  try {
    return (await engine.query(`SELECT * EXCLUDE (computed_at) FROM gold_indicators WHERE ${where} ORDER BY ALL`)).rows;
  } finally {
    engine.close();
  }
}

describe('gold/indicators over several symbols and exchanges', () => {
  it('computes each series under its own names; incremental equals full', async () => {
    const incremental = new Lake(tmpLakeDir('many-inc-'));
    await load(incremental, `open_time >= ${START} AND open_time < ${LAST_HOUR}`);
    expect((await runTransforms(incremental, MODELS, { select: ['indicators'] })).ok).toBe(true);
    await load(incremental, `open_time >= ${LAST_HOUR} AND open_time < ${END}`);
    const second = await runTransforms(incremental, MODELS, { select: ['indicators'] });
    expect(second.models[0].status).toBe('success');
    expect(second.models[0].partitions).toEqual([{ symbol: 'BTCUSDT', date: '2024-01-02' }, { symbol: 'ETHUSDT', date: '2024-01-02' }]);

    const full = new Lake(tmpLakeDir('many-full-'));
    await load(full, `open_time >= ${START} AND open_time < ${END}`);
    expect((await runTransforms(full, MODELS, { select: ['indicators'], fullRefresh: true })).ok).toBe(true);
    const all = await rows(full);
    expect(all.length).toBe(3 * (2880 + 576 + 192 + 48 + 12 + 2));
    expect(await rows(incremental)).toEqual(all);

    // The same klines under each name: the same values.
    const strip = (r: Record<string, unknown>) => {
      const { exchange: _e, symbol: _s, ...rest } = r;
      return rest;
    };
    const of = (exchange: string, symbol: string) => all.filter((r) => r.exchange === exchange && r.symbol === symbol).map(strip);
    expect(of('binance', 'BTCUSDT').length).toBe(2880 + 576 + 192 + 48 + 12 + 2);
    expect(of('binance', 'ETHUSDT')).toEqual(of('binance', 'BTCUSDT'));
    expect(of('otherex', 'BTCUSDT')).toEqual(of('binance', 'BTCUSDT'));
  }, 180_000);
});
