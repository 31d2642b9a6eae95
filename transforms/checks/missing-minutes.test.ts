import { afterEach, describe, expect, it } from 'vitest';
import { klinesLake, oracleLake, ORACLE_NOW_US, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { runCheck } from '../../test/support/transforms/quality-run.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

const HOUR_US = 3_600_000_000;
const MISSING_FROM = Date.UTC(2024, 0, 10, 13) * 1000;

function lakeWithoutAnHour() {
  return klinesLake({ minutes: (rows) => rows.filter((r) => Number(r.window_start) < MISSING_FROM || Number(r.window_start) >= MISSING_FROM + HOUR_US) });
}

describe('missing_minutes', () => {
  it('passes on real data with quiet minutes (a candle with volume 0 is no gap)', async () => {
    const o = await oracleLake();
    lakes.push(o);
    expect(await runCheck(o.lake, 'missing_minutes', ORACLE_NOW_US)).toMatchObject({ status: 'pass', failingRows: 0, observed: 0 });
    const k = await klinesLake();
    lakes.push(k);
    expect(await runCheck(k.lake, 'missing_minutes', k.nowUs)).toMatchObject({ status: 'pass', failingRows: 0 });
  });

  it('reports a missing hour as one range of 60 minutes; a tolerance of 60 lets it pass', async () => {
    const k = await lakeWithoutAnHour();
    lakes.push(k);
    const r = await runCheck(k.lake, 'missing_minutes', k.nowUs);
    expect(r).toMatchObject({ status: 'warn', failingRows: 1, observed: 60, threshold: 0 });
    expect(r.samples).toEqual([
      {
        exchange: 'binance', symbol: 'BTCUSDT', source: 'silver_candles', day: '2024-01-10',
        first_missing: '2024-01-10 13:00:00+00', last_missing: '2024-01-10 13:59:00+00', missing_minutes: '60', symbol_missing_minutes: '60',
      },
    ]);
    expect(await runCheck(k.lake, 'missing_minutes', k.nowUs, { toleranceMinutes: 60 })).toMatchObject({ status: 'pass', observed: 60 });
  });

  it('reads gold_coverage when that view exists', async () => {
    const k = await lakeWithoutAnHour();
    lakes.push(k);
    const coverage = await k.lake.createTable({
      name: 'gold/coverage',
      columns: [
        { name: 'exchange', type: 'string', nullable: false },
        { name: 'symbol', type: 'string', nullable: false },
        { name: 'date', type: 'date', nullable: false },
        { name: 'layer', type: 'string', nullable: false },
        { name: 'minutes_expected', type: 'long' },
        { name: 'candles_present', type: 'long' },
        { name: 'missing_minutes', type: 'long' },
      ],
    });
    await coverage.append([
      { exchange: 'binance', symbol: 'BTCUSDT', date: '2024-01-09', layer: 'silver', minutes_expected: 1440, candles_present: 1440, missing_minutes: 0 },
      { exchange: 'binance', symbol: 'BTCUSDT', date: '2024-01-10', layer: 'silver', minutes_expected: 1440, candles_present: 1380, missing_minutes: 60 },
    ]);
    const r = await runCheck(k.lake, 'missing_minutes', k.nowUs, { lookbackHours: 48 });
    expect(r.samples).toEqual([
      { exchange: 'binance', symbol: 'BTCUSDT', source: 'gold_coverage', day: '2024-01-10', first_missing: null, last_missing: null, missing_minutes: '60', symbol_missing_minutes: '60' },
    ]);
  });
});
