import { afterEach, describe, expect, it } from 'vitest';
import { oracleLake, ORACLE_NOW_US, streamCandles, oracleTrades, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { runCheck } from '../../test/support/transforms/quality-run.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

const AT = Date.UTC(2017, 7, 17, 12, 30) * 1000;

describe('candle_uniqueness', () => {
  it('passes on the stream-built candles, and a proper revision (revision + 1) is no duplicate', async () => {
    const t = await oracleLake();
    lakes.push(t);
    const c = streamCandles(oracleTrades()).find((r) => r.interval === '1m' && r.window_start === AT)!;
    await (await t.lake.table('silver/candles')).append([{ ...c, revision: 1, close: c.open }]);
    expect(await runCheck(t.lake, 'candle_uniqueness', ORACLE_NOW_US)).toMatchObject({ status: 'pass', failingRows: 0 });
  });

  it('fails when two rows share a candle key at its latest revision, showing both closes', async () => {
    const t = await oracleLake();
    lakes.push(t);
    const c = streamCandles(oracleTrades()).find((r) => r.interval === '5m' && Number(r.window_start) >= AT && r.close !== r.high)!;
    await (await t.lake.table('silver/candles')).append([{ ...c, close: c.high }]);
    const r = await runCheck(t.lake, 'candle_uniqueness', ORACLE_NOW_US);
    expect(r.status).toBe('fail');
    expect(r.samples).toHaveLength(1);
    expect(r.samples[0]).toMatchObject({ symbol: 'BTCUSDT', interval: '5m', window_start: new Date(Number(c.window_start) / 1000).toISOString().replace('T', ' ').replace('.000Z', '+00'), revision: '0', copies: '2' });
    expect([...(r.samples[0].closes as string[])].sort()).toEqual([String(c.close), String(c.high)].sort());
  });
});
