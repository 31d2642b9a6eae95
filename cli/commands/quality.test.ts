/** `marketlake quality run` as a person runs it, then the results read back with `marketlake sql`. */
import { afterAll, describe, expect, it } from 'vitest';
import { tradeEventToRow } from '../../lake/index.ts';
import { runCli } from '../../test/support/run-cli.ts';
import { oracleLake, oracleTrades, type TestLake } from '../../test/support/transforms/quality-lakes.ts';

const lakes: TestLake[] = [];
afterAll(() => lakes.forEach((l) => l.cleanup()));

const NOW = '2017-08-18T00:01:00Z';

describe('marketlake quality run', () => {
  it('prints a table, exits 1 on a failing error check, and leaves results and failing rows queryable with marketlake sql', async () => {
    const t = await oracleLake();
    lakes.push(t);
    const dup = oracleTrades()[2500];
    await (await t.lake.table('bronze/trades')).append([tradeEventToRow(dup)]);
    const env = { LAKE_DIR: t.dir };

    const run = await runCli(['quality', 'run', '--now', NOW], { env, timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(1);
    const line = (check: string) => run.stdout.split('\n').find((l) => l.startsWith(`${check} `))!.split(/\s{2,}/);
    expect(run.stdout.split('\n')[0].split(/\s+/)).toEqual(['check', 'table', 'severity', 'blocking', 'status', 'observed', 'threshold', 'failing_rows', 'ms']);
    expect(line('trade_uniqueness').slice(0, 8)).toEqual(['trade_uniqueness', 'bronze/trades', 'error', 'yes', 'fail', '1', '0', '1']);
    expect(line('silver_matches_bronze')[4]).toBe('pass');
    expect(run.stderr).toMatch(/\[1\/13\] schema: pass/);

    const sql = `SELECT r.check_name, r.status, r.failing_rows, json_extract_string(f."row", '$.trade_id') AS trade_id, json_extract(f."row", '$.copies')::INT AS copies
      FROM gold_quality_results r JOIN gold_quality_failures f USING (run_id, check_name) ORDER BY r.check_name`;
    const read = await runCli(['sql', sql, '--format', 'json'], { env });
    expect(read.code, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout)).toEqual([{ check_name: 'trade_uniqueness', status: 'fail', failing_rows: '1', trade_id: String(dup.tradeId), copies: 2 }]);
  });

  it('exits 0 when only warn checks fail; quality list shows the configured checks', async () => {
    const t = await oracleLake();
    lakes.push(t);
    const env = { LAKE_DIR: t.dir };
    const stale = await runCli(['quality', 'run', '--check', 'freshness_silver,candle_validity', '--now', '2017-08-18T06:00:00Z', '--no-record'], { env });
    expect(stale.code, stale.stderr).toBe(0);
    expect(stale.stdout).toMatch(/^freshness_silver\s+silver\/candles\s+warn\s+no\s+warn\s+360\s+10\s+1/m);
    expect(stale.stdout).toMatch(/^candle_validity\s+.*\spass\s/m);
    const list = await runCli(['quality', 'list'], { env: { ...env, QUALITY_CONFIG: '{"checks": {"volume_trades": {"enabled": false}}}' } });
    expect(list.stdout).toMatch(/^volume_trades\s+bronze\/trades\s+warn\s+no\s+no\s+\{"windowHours":24/m);
  });
});
