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

  it('fails on a 5m whose high disagrees with its 1m candles, showing both sides; a missing 1h is no disagreement', async () => {
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
    expect(r.samples.map((x) => [x.interval, x.window_start, x.differences])).toEqual([['5m', iso(fiveAt), ['high']]]);
    const five = r.samples[0] as { silver: { high: string }; rollup_of_1m: { high: string } };
    expect(toScaled(five.silver.high, 8) - toScaled(five.rollup_of_1m.high, 8)).toBe(1_000_000n);
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
