import { afterEach, describe, expect, it } from 'vitest';
import { BRONZE_TICKERS, tickerEventToRow } from '../../lake/index.ts';
import { oracleLake, ORACLE_NOW_US, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { runCheck } from '../../test/support/transforms/quality-run.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

describe('schema', () => {
  it('passes when every table matches its contract, in the log and in every data file', async () => {
    const t = await oracleLake();
    lakes.push(t);
    await t.lake.ensureKnownTables();
    expect(await runCheck(t.lake, 'schema', ORACLE_NOW_US)).toMatchObject({ status: 'pass', failingRows: 0 });
  });

  it('fails on a column added to bronze/trades and on bronze/tickers created with price as DECIMAL(18,8) instead of DECIMAL(38,18)', async () => {
    const t = await oracleLake();
    lakes.push(t);
    await (await t.lake.table('bronze/trades')).addColumns([{ name: 'venue', type: 'string' }]);
    const drifted = { ...BRONZE_TICKERS, columns: BRONZE_TICKERS.columns.map((c) => (c.name === 'price' ? { ...c, type: 'decimal(18,8)' as const } : c)) };
    const tickers = await t.lake.createTable(drifted);
    await tickers.append([
      tickerEventToRow({ v: 1, source: 'coingecko', coinId: 'bitcoin', symbol: 'BTC', vsCurrency: 'usd', price: '4285.08000000', sourceTimeUs: ORACLE_NOW_US - 60_000_000, receivedAtUs: ORACLE_NOW_US }),
    ]);
    const r = await runCheck(t.lake, 'schema', ORACLE_NOW_US);
    expect(r.status).toBe('fail');
    expect(r.samples.map(({ file, ...rest }) => ({ ...rest, file: file === null ? null : 'a data file' }))).toEqual([
      { table: 'bronze/tickers', file: null, column: 'price', problem: 'type', expected: 'decimal(38,18)', actual: 'decimal(18,8)' },
      { table: 'bronze/tickers', file: 'a data file', column: 'price', problem: 'file type', expected: 'decimal(38,18)', actual: 'decimal(18,8)' },
      { table: 'bronze/trades', file: null, column: 'venue', problem: 'unexpected column', expected: null, actual: 'string' },
    ]);
    expect(String(r.samples[1].file)).toMatch(/bronze\/tickers\/date=\d{4}-\d{2}-\d{2}\/.*\.parquet$/);
  });
});
