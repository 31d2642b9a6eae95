import { afterEach, describe, expect, it } from 'vitest';
import type { TradeEvent } from '../../common/events/index.ts';
import { klinesLake, oracleLake, ORACLE_NOW_US, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { runCheck } from '../../test/support/transforms/quality-run.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

const DAY_US = 86_400_000_000;
const HOUR_US = 3_600_000_000;
const hourOf = (t: TradeEvent) => Math.floor((t.tradeTimeUs % DAY_US) / HOUR_US);

/** The oracle day, preceded by the same real trades shifted into each of the 7 days before (the trailing history). */
function withHistory(day: TradeEvent[]): TradeEvent[] {
  const history = [1, 2, 3, 4, 5, 6, 7].flatMap((k) => day.map((t) => ({ ...t, tradeId: t.tradeId + k * 1_000_000, tradeTimeUs: t.tradeTimeUs - k * DAY_US })));
  return [...history, ...day];
}

describe('volume_trades', () => {
  it('passes when each hour has as many trades as the same hour on the trailing days', async () => {
    const t = await oracleLake({ trades: withHistory });
    lakes.push(t);
    expect(await runCheck(t.lake, 'volume_trades', ORACLE_NOW_US)).toMatchObject({ status: 'pass', failingRows: 0 });
  });

  it('flags a collapse (14:00 keeps 1 trade in 20) and a burst (09:00 sent 6 times), with the counts and the median', async () => {
    const counts = { h09: 0, h14: 0, kept14: 0 };
    const t = await oracleLake({
      trades: (day) => {
        counts.h09 = day.filter((x) => hourOf(x) === 9).length;
        counts.h14 = day.filter((x) => hourOf(x) === 14).length;
        const planted = day.filter((x, i) => hourOf(x) !== 14 || i % 20 === 0);
        counts.kept14 = planted.filter((x) => hourOf(x) === 14).length;
        const burst = day.filter((x) => hourOf(x) === 9).flatMap((x) => [1, 2, 3, 4, 5].map((j) => ({ ...x, tradeId: x.tradeId + j * 100_000_000 })));
        return withHistory(day).filter((x) => x.tradeTimeUs < ORACLE_NOW_US - DAY_US).concat(planted, burst);
      },
    });
    lakes.push(t);
    const r = await runCheck(t.lake, 'volume_trades', ORACLE_NOW_US);
    expect(r.status).toBe('warn');
    expect(r.failingRows).toBe(2);
    expect(counts.kept14).toBeLessThan(counts.h14 * 0.2);
    expect(r.samples.map((x) => [x.hour, x.kind, Number(x.rows), Number(x.trailing_median), Number(x.history_days)])).toEqual([
      ['2017-08-17 09:00:00+00', 'burst', counts.h09 * 6, counts.h09, 7],
      ['2017-08-17 14:00:00+00', 'collapse', counts.kept14, counts.h14, 7],
    ]);
  });
});

describe('volume_candles', () => {
  it('passes on ten real days of 1m klines', async () => {
    const t = await klinesLake();
    lakes.push(t);
    expect(await runCheck(t.lake, 'volume_candles', t.nowUs)).toMatchObject({ status: 'pass', failingRows: 0 });
  });

  it('flags the hour whose 1m candles are gone', async () => {
    const from = Date.UTC(2024, 0, 10, 13) * 1000;
    const t = await klinesLake({ minutes: (rows) => rows.filter((r) => Number(r.window_start) < from || Number(r.window_start) >= from + HOUR_US) });
    lakes.push(t);
    const r = await runCheck(t.lake, 'volume_candles', t.nowUs);
    expect(r.status).toBe('warn');
    expect(r.samples).toEqual([{ exchange: 'binance', symbol: 'BTCUSDT', hour: '2024-01-10 13:00:00+00', rows: '0', trailing_median: 60, history_days: '7', kind: 'collapse', ratio: 0 }]);
  });
});
