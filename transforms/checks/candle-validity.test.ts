import { afterEach, describe, expect, it } from 'vitest';
import { klinesLake, oracleLake, ORACLE_NOW_US, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { runCheck } from '../../test/support/transforms/quality-run.ts';
import type { LakeRow } from '../../lake/index.ts';
import { fromScaled, toScaled } from '../../common/decimal.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

const iso = (us: unknown) => new Date(Number(us) / 1000).toISOString().replace('T', ' ').replace('.000Z', '+00');

/** Replaces the first row matching `pick` with `change(row)`; returns the changed row. */
function plant(rows: LakeRow[], pick: (r: LakeRow) => boolean, change: (r: LakeRow) => LakeRow, out: LakeRow[]): LakeRow[] {
  const i = rows.findIndex(pick);
  rows[i] = change(rows[i]);
  out.push(rows[i]);
  return rows;
}

describe('candle_validity', () => {
  it('passes on the stream-built candles of the 2017 trades and on ten days of real klines with their rollups', async () => {
    const o = await oracleLake();
    lakes.push(o);
    expect(await runCheck(o.lake, 'candle_validity', ORACLE_NOW_US)).toMatchObject({ status: 'pass', failingRows: 0 });
    const k = await klinesLake();
    lakes.push(k);
    expect(await runCheck(k.lake, 'candle_validity', k.nowUs, { lookbackHours: null })).toMatchObject({ status: 'pass', failingRows: 0 });
  });

  it('fails on a high below the close and on a trade count that does not match the trade ids, naming the broken rules', async () => {
    const planted: LakeRow[] = [];
    const t = await oracleLake({
      candles: (rows) => {
        plant(rows, (r) => r.interval === '1m' && Number(r.trade_count) > 3 && r.close !== r.low && r.close !== r.high, (r) => ({ ...r, high: r.low }), planted);
        plant(rows, (r) => r.interval === '15m' && Number(r.trade_count) > 3 && Number(r.window_start) > Date.UTC(2017, 7, 17, 18) * 1000, (r) => ({ ...r, trade_count: Number(r.trade_count) - 1 }), planted);
        return rows;
      },
    });
    lakes.push(t);
    const r = await runCheck(t.lake, 'candle_validity', ORACLE_NOW_US);
    expect(r.status).toBe('fail');
    expect(r.failingRows).toBe(2);
    // Failing rows come ordered by symbol, interval (as text: 15m before 1m) and window.
    expect(r.samples.map((x) => [x.interval, x.window_start])).toEqual([planted[1], planted[0]].map((p) => [p.interval, iso(p.window_start)]));
    expect(r.samples[1].violations).toEqual(expect.arrayContaining(['low <= close <= high', 'vwap within [low, high]']));
    expect(r.samples[1]).toMatchObject({ high: planted[0].high, close: planted[0].close });
    expect(r.samples[0].violations).toEqual(['trade_count = last_trade_id - first_trade_id + 1']);
  });

  it('fails on a taker buy volume above the volume in a real kline', async () => {
    const planted: LakeRow[] = [];
    const k = await klinesLake({ minutes: (rows) => plant(rows, (r) => Number(r.window_start) === Date.UTC(2024, 0, 10, 9, 41) * 1000, (r) => ({ ...r, taker_buy_volume: fromScaled(toScaled(String(r.volume), 8) + 1n, 8) }), planted) });
    lakes.push(k);
    const r = await runCheck(k.lake, 'candle_validity', k.nowUs);
    expect(r.samples.map((x) => [x.interval, x.window_start, x.violations])).toEqual([['1m', '2024-01-10 09:41:00+00', ['taker buy volume <= volume']]]);
  });
});
