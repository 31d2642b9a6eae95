/**
 * Each CLI mistake a newcomer made (issue 12) gets an exit code and one clear message, run as a
 * person runs it: `node bin/marketlake.js ...` against a real lake, a real broker, real files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lake } from '../lake/index.ts';
import { syntheticTrades } from '../test/support/lake/synthetic-trades.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { freePort } from '../stack/net.ts';
import { kafkaBrokers } from '../test/infra.ts';
import { KLINES_2024_DIR, TRADES_2017_DIR } from '../test/fixtures/paths.ts';
import { plainLines, runCli } from '../test/support/run-cli.ts';

const KLINES_ZIP = path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip');
const TRADES_CSV = path.join(TRADES_2017_DIR, 'BTCUSDT-trades-2017-08-17.csv');

let lakeDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  lakeDir = tmpLakeDir('cli-errors-');
  const table = await new Lake(lakeDir).table('bronze/trades');
  // 25 commits, so that `lake history` has more to print than the reader wants.
  for (let i = 0; i < 25; i++) await table.append(syntheticTrades({ count: 20, firstTradeId: 1 + i * 20, seed: i }));
  env = { LAKE_DIR: lakeDir, KAFKA_BROKERS: kafkaBrokers().join(',') };
}, 120_000);
afterAll(removeTmpDirs);

describe('marketlake CLI errors', () => {
  it('sql | head: a reader that stops reading ends the command quietly, exit 0', async () => {
    const r = await runCli(['sql', 'select * from range(300000)'], {
      env,
      onSpawn: (child) => child.stdout!.once('data', () => child.stdout!.destroy()),
    });
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js:\d+|Maximum call stack/);
    expect(r.code).toBe(0);
  });

  it('lake history | head: the same', async () => {
    // The reader is gone before the command writes a byte.
    const r = await runCli(['lake', 'history', 'bronze_trades'], { env, onSpawn: (child) => child.stdout!.destroy() });
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(r.code).toBe(0);
  });

  it('lake history -n abc is refused, naming the option', async () => {
    const r = await runCli(['lake', 'history', 'bronze_trades', '-n', 'abc'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--limit.*'abc' is invalid.*whole number/);
    expect(r.stdout).toBe('');
    const ok = await runCli(['lake', 'history', 'bronze_trades', '-n', '3'], { env });
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(3);
  });

  it("an unknown table names the lake's views and the likely one, not pg_tables", async () => {
    const r = await runCli(['sql', 'select count(*) from bronze_trade'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/pg_tables/);
    expect(plainLines(r.stderr).at(-1)).toMatch(/no table or view named "bronze_trade" in the lake; did you mean bronze_trades\? \(views: .*silver_candles/);
  });

  it('LAKE_DIR pointing nowhere is an error, and nothing is created there', async () => {
    const nowhere = path.join(lakeDir, 'no', 'such', 'lake');
    for (const args of [['sql', 'select 1'], ['lake', 'tables'], ['lake', 'history', 'bronze_trades']]) {
      const r = await runCli(args, { env: { ...env, LAKE_DIR: nowhere } });
      expect(r.code, args.join(' ')).toBe(1);
      expect(plainLines(r.stderr)).toEqual([`marketlake: LAKE_DIR=${nowhere} does not exist: no lake there (check LAKE_DIR; \`marketlake dev\` or \`marketlake stream\` creates and fills it)`]);
    }
    expect(fs.existsSync(path.join(lakeDir, 'no'))).toBe(false);
  });

  it("an impossible date raises DuckDB's conversion error instead of answering no rows", async () => {
    const bad = await runCli(['sql', "select count(*) n from bronze_trades where date = '2024-13-45'"], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Conversion Error.*2024-13-45/);
    // A real date still prunes and answers.
    const good = await runCli(['sql', '--format', 'csv', "select count(*) n from bronze_trades where date = '2024-03-01'"], { env });
    expect(good.code).toBe(0);
    expect(good.stdout.trim()).toBe('n\n500');
  });

  it('replay of a klines file says what replay takes, before connecting to anything', async () => {
    const r = await runCli(['replay', '--file', KLINES_ZIP], { env: { ...env, KAFKA_BROKERS: '127.0.0.1:1' } });
    expect(r.code).toBe(1);
    expect(plainLines(r.stderr)).toEqual([
      `marketlake: ${KLINES_ZIP} is a klines (candles) archive, not trades or aggTrades: replay publishes trades; klines go into the lake through a klines backfill`,
    ]);
    expect(r.stderr).not.toMatch(/readArchive/);
  });

  it('replay --kind klines is refused with the kinds it accepts', async () => {
    const r = await runCli(['replay', '--file', TRADES_CSV, '--kind', 'klines'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--kind.*'klines' is invalid\. Allowed choices are trades, aggTrades/);
  });

  it('replay of a URL that cannot be fetched names the URL and the cause', async () => {
    const port = await freePort(); // nothing listens there
    const url = `https://127.0.0.1:${port}/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2017-08-17.zip`;
    const r = await runCli(['replay', '--file', url], { env });
    expect(r.code).toBe(1);
    expect(plainLines(r.stderr).at(-1)).toMatch(new RegExp(`^marketlake: cannot download ${url.replace(/[.?]/g, '\\$&')}.*: connect ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(is the network reachable`));
    expect(r.stderr).not.toMatch(/^marketlake: fetch failed$/m);
  });

  it('produce with Kafka down says to start it, and exits after the bounded wait', async () => {
    const port = await freePort();
    const r = await runCli(['produce', 'simulator'], {
      env: { ...env, KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_STARTUP_WAIT_MS: '2000', PRODUCER_METRICS_PORT: String(await freePort()), LOG_LEVEL: 'silent' },
    });
    expect(r.code).toBe(1);
    expect(plainLines(r.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^marketlake: Kafka at 127\\.0\\.0\\.1:${port} is unreachable after \\d+ s \\(.*ECONNREFUSED.*\\): start it with \`marketlake stack up\``)),
    ]);
    expect(r.ms).toBeLessThan(20_000);
  });
});

describe('marketlake sql limits', () => {
  it('--timeout interrupts a runaway query and exits 1', async () => {
    const r = await runCli(['sql', '--timeout', '1', 'select count(*) from range(1000000) a, range(1000000) b'], { env });
    expect(r.code).toBe(1);
    expect(plainLines(r.stderr).at(-1)).toBe('marketlake: query interrupted after its 1 s time limit (raise it with --timeout <seconds> or SQL_TIMEOUT_S)');
    expect(r.ms).toBeLessThan(15_000);
  });

  it('SQL_TIMEOUT_S is the default time limit', async () => {
    const r = await runCli(['sql', 'select count(*) from range(1000000) a, range(1000000) b'], { env: { ...env, SQL_TIMEOUT_S: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/interrupted after its 1 s time limit/);
  });

  it('the memory limit holds: a query needing more fails with an out-of-memory error', async () => {
    const setting = await runCli(['sql', '--format', 'csv', '--memory-limit', '100MB', "select current_setting('memory_limit') m"], { env });
    expect(setting.stdout.trim()).toBe('m\n95.3 MiB');
    const r = await runCli(['sql', '--memory-limit', '100MB', 'select len(list(range)) from range(30000000)'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Out of Memory Error/);
    // And the default is a bounded share of the machine, not DuckDB's 80 %.
    const dflt = await runCli(['sql', '--format', 'csv', "select current_setting('memory_limit') m"], { env: { ...env, SQL_MEMORY_LIMIT: '1GB' } });
    expect(dflt.stdout.trim()).toBe('m\n953.6 MiB');
  });

  it('the shell exits non-zero when its last query failed, zero when it succeeded', async () => {
    const failedLast = await runCli(['sql'], { env, input: 'select 1;\nselect * from nope;\n' });
    expect(failedLast.stdout).toMatch(/error: no table or view named "nope"/);
    expect(failedLast.code).toBe(1);
    const okLast = await runCli(['sql'], { env, input: 'select * from nope;\nselect 1;\n' });
    expect(okLast.code).toBe(0);
  });
});

