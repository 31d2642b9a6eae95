/**
 * The indicators model rolls 4h and 1d up from the 1h rows it reads (rollup.ts); the rest of gold
 * and the API roll up in SQL (`goldCandlesSql`). On real January 2024 klines, with an hour
 * without trades and a later revision of another hour planted, gold/indicators' 4h and 1d closes
 * and volumes equal the SQL's, decimal for decimal.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lake, LakeQueryEngine } from '../../lake/index.ts';
import { removeTmpDirs, tmpLakeDir } from '../../test/support/lake/tmp.ts';
import { KLINES_2024_DIR } from '../../test/fixtures/paths.ts';
import { extractZipCsv, loadKlinesIntoSilver } from '../../test/support/lake-loaders.ts';
import { MODELS, goldCandlesSql, runTransforms } from '../index.ts';
import { rollUpHours } from './rollup.ts';

const QUIET_HOUR = Date.parse('2024-01-02T05:00:00Z');
const REVISED_HOUR = '2024-01-03 14:00:00+00';

/** A decimal's text (every digit of its scale) as its unscaled integer. */
const unscaled = (text: unknown) => BigInt(String(text).replace('.', ''));

let lake: Lake;
let engine: LakeQueryEngine;

beforeAll(async () => {
  lake = new Lake(tmpLakeDir('rollup-'));
  const csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
  // Trades stop for an hour: its minutes keep their prices but count no trade, like quiet minutes.
  await loadKlinesIntoSilver(lake, csv, {
    rollUp: ['5m', '15m', '1h'],
    where: `open_time < ${Date.parse('2024-01-06T00:00:00Z')}`,
    transform: `SELECT * REPLACE (CASE WHEN open_time >= ${QUIET_HOUR} AND open_time < ${QUIET_HOUR + 3_600_000} THEN 0 ELSE count END AS count) FROM {{ klines }}`,
  });
  // A later revision of one 1h candle: the roll-ups must use it, not revision 0.
  const writer = await LakeQueryEngine.open({ lake, readOnly: false });
  try {
    await (await lake.table('silver/candles')).appendFromSql(
      writer.connection,
      `SELECT * REPLACE (1::BIGINT AS revision, close + 7.5 AS close, volume + 1.25 AS volume, high + 10 AS high) FROM silver_candles WHERE "interval" = '1h' AND window_start = TIMESTAMPTZ '${REVISED_HOUR}'`,
    );
  } finally {
    writer.close();
  }
  expect((await runTransforms(lake, MODELS, { select: ['indicators'] })).ok).toBe(true);
  engine = await LakeQueryEngine.open({ lake, readOnly: false });
}, 120_000);

afterAll(() => {
  engine?.close();
  removeTmpDirs();
});

describe('4h and 1d roll-ups in gold/indicators', () => {
  it('equal the SQL roll-up of silver (latest revisions, quiet hours) in window, close and volume', async () => {
    const key = `"interval", CAST(window_start AS VARCHAR) AS w, CAST(close AS VARCHAR) AS close, CAST(volume AS VARCHAR) AS volume`;
    const expected = (await engine.query(`SELECT ${key} FROM (${goldCandlesSql(`symbol = 'BTCUSDT'`, ['4h', '1d'])}) ORDER BY 1, 2`)).rows;
    const gold = (await engine.query(`SELECT ${key} FROM gold_indicators WHERE "interval" IN ('4h', '1d') ORDER BY 1, 2`)).rows;
    expect(gold.length).toBe(5 * 6 + 5);
    expect(gold).toEqual(expected);
    const revised = (await engine.query(`SELECT CAST(close AS VARCHAR) AS close FROM silver_candles WHERE "interval" = '1h' AND window_start = TIMESTAMPTZ '${REVISED_HOUR}'`)).rows;
    const inGold = (await engine.query(`SELECT CAST(close AS VARCHAR) AS close FROM gold_indicators WHERE "interval" = '1h' AND window_start = TIMESTAMPTZ '${REVISED_HOUR}'`)).rows;
    expect(inGold).toEqual(revised);
  });

  it('rollUpHours takes high and low from the hours that traded only, as the SQL does', async () => {
    const fourHours = QUIET_HOUR - 3_600_000;
    const hours = (
      await engine.query(`SELECT epoch_us(window_start) AS ws, trade_count, CAST(high AS DOUBLE) AS high, CAST(low AS DOUBLE) AS low, CAST(close AS DOUBLE) AS close,
          CAST(volume AS VARCHAR) AS v, CAST(quote_volume AS VARCHAR) AS q
        FROM silver_candles WHERE "interval" = '1h' AND window_start >= make_timestamptz(${fourHours * 1000}::BIGINT) AND window_start < make_timestamptz(${(fourHours + 4 * 3_600_000) * 1000}::BIGINT) ORDER BY 1`)
    ).rows;
    expect(hours.map((h) => Number(h.trade_count))).toContain(0);
    const col = (k: string) => Float64Array.from(hours.map((h) => Number(h[k])));
    const [w] = rollUpHours(
      { rows: hours.map((_, i) => i), windowStartUs: col('ws'), tradeCount: col('trade_count'), high: col('high'), low: col('low'), close: col('close'), volumeAt: (i) => unscaled(hours[i].v), quoteVolumeAt: (i) => unscaled(hours[i].q) },
      4 * 3_600_000_000,
    );
    const [expected] = (await engine.query(`SELECT CAST(high AS DOUBLE) AS high, CAST(low AS DOUBLE) AS low, CAST(volume AS VARCHAR) AS v FROM (${goldCandlesSql(`symbol = 'BTCUSDT'`, ['4h'])}) WHERE window_start = make_timestamptz(${fourHours * 1000}::BIGINT)`)).rows;
    expect({ high: w.high, low: w.low, volume: String(w.volume) }).toEqual({ high: Number(expected.high), low: Number(expected.low), volume: unscaled(expected.v).toString() });
    // The quiet hour's own high and low are excluded: they differ from the window's in this data.
    const quiet = hours.find((h) => Number(h.trade_count) === 0)!;
    expect(Number(quiet.high) === w.high && Number(quiet.low) === w.low).toBe(false);
  });
});
