import { afterEach, describe, expect, it } from 'vitest';
import { tradeEventToRow } from '../../lake/index.ts';
import { oracleLake, oracleTrades, ORACLE_NOW_US, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { runCheck } from '../../test/support/transforms/quality-run.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

describe('trade_uniqueness', () => {
  it('passes on the real trades of 2017-08-17', async () => {
    const t = await oracleLake();
    lakes.push(t);
    expect(await runCheck(t.lake, 'trade_uniqueness', ORACLE_NOW_US)).toMatchObject({ status: 'pass', failingRows: 0 });
  });

  it('fails on a trade appended twice (a replay after a crash), naming the trade and both receive times', async () => {
    const t = await oracleLake();
    lakes.push(t);
    const again = { ...oracleTrades()[1000], receivedAtUs: ORACLE_NOW_US - 1000, source: 'rest' as const };
    await (await t.lake.table('bronze/trades')).append([tradeEventToRow(again)]);
    const r = await runCheck(t.lake, 'trade_uniqueness', ORACLE_NOW_US);
    expect(r.status).toBe('fail');
    expect(r.failingRows).toBe(1);
    expect(r.samples[0]).toMatchObject({ exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', trade_id: String(again.tradeId), copies: '2', sources: ['archive', 'rest'] });
    expect(r.samples[0].received_at).toHaveLength(2);
  });
});
