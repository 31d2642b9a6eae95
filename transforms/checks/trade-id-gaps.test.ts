import { afterEach, describe, expect, it } from 'vitest';
import { oracleLake, ORACLE_NOW_US, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { runCheck } from '../../test/support/transforms/quality-run.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

describe('trade_id_gaps', () => {
  it('passes on the real trades of 2017-08-17 (ids contiguous)', async () => {
    const t = await oracleLake();
    lakes.push(t);
    expect(await runCheck(t.lake, 'trade_id_gaps', ORACLE_NOW_US)).toMatchObject({ status: 'pass', failingRows: 0, observed: 0 });
  });

  it('reports the ids a dropped connection lost (never repaired), with the times either side; a tolerance lets it pass', async () => {
    let lost: number[] = [];
    const t = await oracleLake({
      trades: (trades) => {
        lost = trades.slice(2000, 2003).map((x) => x.tradeId);
        return trades.filter((_, i) => i < 2000 || i >= 2003);
      },
    });
    lakes.push(t);
    const r = await runCheck(t.lake, 'trade_id_gaps', ORACLE_NOW_US);
    expect(r).toMatchObject({ status: 'fail', failingRows: 1, observed: 3, threshold: 0 });
    expect(r.samples[0]).toMatchObject({ symbol: 'BTCUSDT', first_missing_trade_id: String(lost[0]), last_missing_trade_id: String(lost[2]), missing_trades: '3' });
    expect(String(r.samples[0].after_trade_time) < String(r.samples[0].before_trade_time)).toBe(true);
    expect(await runCheck(t.lake, 'trade_id_gaps', ORACLE_NOW_US, { toleranceTrades: 3 })).toMatchObject({ status: 'pass', failingRows: 1 });
  });
});
