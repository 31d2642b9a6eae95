import { afterEach, describe, expect, it } from 'vitest';
import { fromScaled, toScaled } from '../../common/decimal.ts';
import { klinesLake, oracleLake, ORACLE_NOW_US, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { runCheck } from '../../test/support/transforms/quality-run.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

const iso = (us: number) => new Date(us / 1000).toISOString().replace('T', ' ').replace('.000Z', '+00');

describe('rollup_matches_1m', () => {
  it("passes on the stream's own 5m/15m/1h candles of the 2017 trades (quiet minutes included) and on ten days of klines", async () => {
    const o = await oracleLake();
    lakes.push(o);
    expect(await runCheck(o.lake, 'rollup_matches_1m', ORACLE_NOW_US)).toMatchObject({ status: 'pass', failingRows: 0 });
    const k = await klinesLake();
    lakes.push(k);
    expect(await runCheck(k.lake, 'rollup_matches_1m', k.nowUs, { lookbackHours: null })).toMatchObject({ status: 'pass', failingRows: 0 });
  });

  it('fails on a 5m whose high disagrees with its 1m candles, showing both sides, and on a missing 1h', async () => {
    const fiveAt = Date.UTC(2024, 0, 9, 10, 5) * 1000;
    const hourAt = Date.UTC(2024, 0, 9, 17) * 1000;
    const k = await klinesLake({
      rollups: (rows) =>
        rows
          .filter((r) => !(r.interval === '1h' && r.window_start === hourAt))
          .map((r) => (r.interval === '5m' && r.window_start === fiveAt ? { ...r, high: fromScaled(toScaled(String(r.high), 8) + 1_000_000n, 8) } : r)),
    });
    lakes.push(k);
    const r = await runCheck(k.lake, 'rollup_matches_1m', k.nowUs, { lookbackHours: 48 });
    expect(r.status).toBe('fail');
    // Failing rows come ordered by interval as text: 1h before 5m.
    expect(r.samples.map((x) => [x.interval, x.window_start, x.differences])).toEqual([
      ['1h', iso(hourAt), ['missing rollup']],
      ['5m', iso(fiveAt), ['high']],
    ]);
    const five = r.samples[1] as { silver: { high: string }; rollup_of_1m: { high: string } };
    expect(toScaled(five.silver.high, 8) - toScaled(five.rollup_of_1m.high, 8)).toBe(1_000_000n);
  });

  it('fails on a 5m missing from silver while its 1m candles are all there and final, and only there (not on windows still forming or missing a minute)', async () => {
    const missingAt = Date.UTC(2024, 0, 3, 10, 5) * 1000;
    const holeAt = Date.UTC(2024, 0, 5, 12, 34) * 1000;
    const endUs = Date.UTC(2024, 0, 11) * 1000;
    const formingFrom = endUs - 5 * 60_000_000;
    const k = await klinesLake({
      // A minute lost (its windows have no rollup: left to missing_minutes) and the last five minutes not final yet.
      minutes: (rows) => rows.filter((r) => r.window_start !== holeAt).map((r) => (Number(r.window_start) >= formingFrom ? { ...r, is_final: false, finalized_at: null } : r)),
      // One 5m lost; the windows still forming have no rollup yet.
      rollups: (rows) => rows.filter((r) => r.window_start !== missingAt || r.interval !== '5m').filter((r) => Number(r.window_end) <= formingFrom),
    });
    lakes.push(k);
    const r = await runCheck(k.lake, 'rollup_matches_1m', k.nowUs, { lookbackHours: null });
    expect(r).toMatchObject({ status: 'fail', failingRows: 1 });
    expect(r.samples.map((x) => [x.symbol, x.interval, x.window_start, x.differences, x.silver])).toEqual([['BTCUSDT', '5m', iso(missingAt), ['missing rollup'], null]]);
    // The failing row carries the rollup silver should hold.
    const minutes = k.minutes.filter((m) => Number(m.window_start) >= missingAt && Number(m.window_start) < missingAt + 5 * 60_000_000);
    expect(r.samples[0].rollup_of_1m).toMatchObject({ open: minutes[0].open, close: minutes[4].close, trade_count: String(minutes.reduce((a, m) => a + Number(m.trade_count), 0)) });
  });

  it("fails on rollups that took the empty minutes' carried prices into their high and low (the classic rollup bug)", async () => {
    // The stream's 15m candles, recomputed the wrong way: high/low over every minute, quiet ones included.
    const o = await oracleLake({
      candles: (rows) => {
        const minutes = rows.filter((r) => r.interval === '1m');
        return rows.map((r) => {
          if (r.interval !== '15m') return r;
          const inside = minutes.filter((m) => Number(m.window_start) >= Number(r.window_start) && Number(m.window_start) < Number(r.window_end));
          const high = inside.map((m) => toScaled(String(m.high), 8)).reduce((a, b) => (b > a ? b : a));
          const low = inside.map((m) => toScaled(String(m.low), 8)).reduce((a, b) => (b < a ? b : a));
          return { ...r, high: fromScaled(high, 8), low: fromScaled(low, 8) };
        });
      },
    });
    lakes.push(o);
    const r = await runCheck(o.lake, 'rollup_matches_1m', ORACLE_NOW_US);
    expect(r.status).toBe('fail');
    expect(r.failingRows).toBeGreaterThan(0);
    expect(r.samples.every((x) => x.interval === '15m' && (x.differences as string[]).every((d) => d === 'high' || d === 'low'))).toBe(true);
  });
});
