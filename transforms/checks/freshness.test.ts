import { afterEach, describe, expect, it } from 'vitest';
import { asSymbol, oracleLake, ORACLE_NOW_US, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { runCheck } from '../../test/support/transforms/quality-run.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

const STOP_US = Date.UTC(2017, 7, 17, 20, 0) * 1000;

function stoppedSymbolLake(): Promise<TestLake> {
  return oracleLake({
    trades: (trades) => [...trades, ...asSymbol(trades, 'ETHUSDT').filter((x) => x.tradeTimeUs < STOP_US)],
    candles: (rows) => rows.filter((r) => !(r.symbol === 'ETHUSDT' && Number(r.window_end) > STOP_US)),
  });
}

describe('freshness_silver and freshness_bronze', () => {
  it('pass when every live symbol is current to the minute', async () => {
    const t = await oracleLake();
    lakes.push(t);
    const silver = await runCheck(t.lake, 'freshness_silver', ORACLE_NOW_US);
    expect(silver).toMatchObject({ status: 'pass', failingRows: 0, observed: 1, threshold: 10 });
    const bronze = await runCheck(t.lake, 'freshness_bronze', ORACLE_NOW_US);
    expect(bronze.status).toBe('pass');
    expect(bronze.observed).toBeGreaterThan(0);
    expect(bronze.observed).toBeLessThan(5);
  });

  it('fail for a symbol whose feed and candles stopped at 20:00 (real trades of the day under a second symbol), naming it and its lag', async () => {
    // (A symbol that merely stops trading keeps getting quiet candles from the stream: not stale.)
    const t = await stoppedSymbolLake();
    lakes.push(t);
    const silver = await runCheck(t.lake, 'freshness_silver', ORACLE_NOW_US);
    expect(silver.status).toBe('warn');
    expect(silver.failingRows).toBe(1);
    // Its last candle ends at 20:00; now is 00:01 the next day.
    expect(silver.samples[0]).toMatchObject({ exchange: 'binance', symbol: 'ETHUSDT', newest_window_end: '2017-08-17 20:00:00+00', lag_minutes: 241 });
    expect(silver.observed).toBe(Number(silver.samples[0].lag_minutes));

    const bronze = await runCheck(t.lake, 'freshness_bronze', ORACLE_NOW_US);
    expect(bronze.status).toBe('warn');
    expect(bronze.samples.map((r) => r.symbol)).toEqual(['ETHUSDT']);
    expect(Number(bronze.samples[0].lag_minutes)).toBeGreaterThan(241);
  });

  it('a configured symbol with no data at all fails; a larger threshold lets the stopped one pass', async () => {
    const t = await stoppedSymbolLake();
    lakes.push(t);
    const configured = await runCheck(t.lake, 'freshness_silver', ORACLE_NOW_US, { symbols: ['BTCUSDT', 'binance:SOLUSDT'] });
    expect(configured.samples).toEqual([{ exchange: 'binance', symbol: 'SOLUSDT', newest_window_end: null, lag_minutes: null }]);
    const lenient = await runCheck(t.lake, 'freshness_silver', ORACLE_NOW_US, { maxLagMinutes: 300 });
    expect(lenient.status).toBe('pass');
  });
});
