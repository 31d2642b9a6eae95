import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../common/config.ts';
import { LakeQueryEngine, tradeEventToRow } from '../../lake/index.ts';
import { oracleLake, oracleTrades, ORACLE_NOW_US, type TestLake } from '../../test/support/transforms/quality-lakes.ts';
import { ALL_CHECKS, defineCheck, InvalidDateError, isBlockingFailure, isErrorFailure, qualityConfigFromEnv, resolveQualityConfig, runChecks, runQuality, scopeOfDates, UnknownCheckError } from '../index.ts';

const lakes: TestLake[] = [];
afterEach(() => lakes.splice(0).forEach((l) => l.cleanup()));

describe("a gold build's range as the checks' scope", () => {
  it('covers the dates from the start of `from` to the end of `to`, and names a field that is not a date', () => {
    const now = Date.UTC(2024, 5, 1, 12) * 1000;
    expect(scopeOfDates({}, now)).toBeUndefined();
    expect(scopeOfDates({ from: '2024-01-02', to: '2024-01-31' }, now)).toEqual({ fromUs: Date.UTC(2024, 0, 2) * 1000, toUs: Date.UTC(2024, 1, 1) * 1000 });
    expect(scopeOfDates({ to: '2024-01-31' }, now)).toEqual({ fromUs: undefined, toUs: Date.UTC(2024, 1, 1) * 1000 });
    expect(scopeOfDates({ from: '2024-01-02' }, now)).toEqual({ fromUs: Date.UTC(2024, 0, 2) * 1000, toUs: now + 3_600_000_000 });
    expect(() => scopeOfDates({ from: '2024-02-30' }, now)).toThrow(InvalidDateError);
    expect(() => scopeOfDates({ to: 'yesterday' }, now)).toThrow(/^to: "yesterday" is not a date/);
  });
});

describe('quality configuration', () => {
  it('overrides severity, blocking and thresholds per check, and fails fast on an unknown check or threshold', () => {
    const c = resolveQualityConfig(ALL_CHECKS, { maxFailingRows: 5, checks: { freshness_silver: { severity: 'error', blocking: true, thresholds: { maxLagMinutes: 3 } } } });
    const f = c.checks.find((x) => x.check.name === 'freshness_silver')!;
    expect(c.maxFailingRows).toBe(5);
    expect(f).toMatchObject({ severity: 'error', blocking: true, enabled: true, thresholds: { maxLagMinutes: 3, liveLookbackHours: 24 } });
    expect(() => resolveQualityConfig(ALL_CHECKS, { checks: { freshnes: {} } })).toThrow(ConfigError);
    expect(() => resolveQualityConfig(ALL_CHECKS, { checks: { freshness_silver: { thresholds: { maxLag: 3 } } } })).toThrow(/checks\.freshness_silver\.thresholds.*maxLag/);
    expect(() => resolveQualityConfig(ALL_CHECKS, { checks: { volume_trades: { thresholds: { trailingDays: 'seven' } } } })).toThrow(/trailingDays/);
    expect(() => resolveQualityConfig(ALL_CHECKS, { checks: { schema: { severity: 'fatal' } } })).toThrow(ConfigError);
  });

  it('reads QUALITY_CONFIG inline or from a YAML file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ml-qc-')), 'quality.yaml');
    fs.writeFileSync(file, 'checks:\n  cross_source_price:\n    thresholds:\n      maxDiffBps: 25\n  volume_trades:\n    enabled: false\n');
    const fromFile = qualityConfigFromEnv(ALL_CHECKS, { QUALITY_CONFIG: file });
    expect(fromFile.checks.find((x) => x.check.name === 'cross_source_price')!.thresholds.maxDiffBps).toBe(25);
    expect(fromFile.checks.find((x) => x.check.name === 'volume_trades')!.enabled).toBe(false);
    const inline = qualityConfigFromEnv(ALL_CHECKS, { QUALITY_CONFIG: '{"maxFailingRows": 7}' });
    expect(inline.maxFailingRows).toBe(7);
    expect(() => qualityConfigFromEnv(ALL_CHECKS, { QUALITY_CONFIG: '{"maxFailingRows": ' })).toThrow(ConfigError);
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});

describe('runChecks', () => {
  it('turns outcomes into statuses by severity, keeps going past a check that throws, and refuses unknown names', async () => {
    const t = await oracleLake();
    lakes.push(t);
    await (await t.lake.table('bronze/trades')).append([tradeEventToRow(oracleTrades()[7])]);
    const broken = defineCheck({
      name: 'broken', table: 'silver/candles', description: 'selects a column that does not exist', severity: 'warn', blocking: true,
      thresholds: z.object({}).strict(),
      async run(ctx) {
        await ctx.engine.query('SELECT no_such_column FROM silver_candles');
        return { observed: 0, threshold: 0, failingRows: 0, samples: [] };
      },
    });
    const checks = [...ALL_CHECKS, broken];
    const config = resolveQualityConfig(checks, { maxFailingRows: 1, checks: { trade_id_gaps: { severity: 'warn' } } });
    const engine = await LakeQueryEngine.open({ lake: t.lake });
    try {
      const run = await runChecks({ engine, config, nowUs: ORACLE_NOW_US, only: ['trade_uniqueness', 'broken', 'candle_validity'] });
      expect(run.results.map((r) => [r.check, r.status])).toEqual([
        ['trade_uniqueness', 'fail'],
        ['candle_validity', 'pass'],
        ['broken', 'error'],
      ]);
      expect(run.results[2].message).toMatch(/no_such_column/);
      expect(run.results.filter(isErrorFailure).map((r) => r.check)).toEqual(['trade_uniqueness']);
      expect(run.results.filter(isBlockingFailure).map((r) => r.check)).toEqual(['trade_uniqueness', 'broken']);
      // candle_validity's candles were materialised for the run, and dropped after it.
      expect(run.prepareMs).toBeGreaterThanOrEqual(0);
      expect((await engine.query(`SELECT count(*) AS n FROM duckdb_tables() WHERE temporary`)).rows).toEqual([{ n: '0' }]);
      await expect(runChecks({ engine, config, only: ['trade_uniquenes'] })).rejects.toBeInstanceOf(UnknownCheckError);
    } finally {
      engine.close();
    }
  });
});

describe('runQuality', () => {
  it('records results and failing rows in gold/quality_results and gold/quality_failures, queryable as views', async () => {
    const t = await oracleLake();
    lakes.push(t);
    const dup = oracleTrades().slice(100, 103);
    await (await t.lake.table('bronze/trades')).append(dup.map(tradeEventToRow));
    const config = resolveQualityConfig(ALL_CHECKS, { maxFailingRows: 2 });
    const run = await runQuality({ lake: t.lake, config, nowUs: ORACLE_NOW_US });
    expect(run.results).toHaveLength(ALL_CHECKS.length);
    const engine = await LakeQueryEngine.open({ lake: t.lake });
    try {
      const results = await engine.query(`SELECT check_name, table_name, severity, blocking, status, failing_rows, observed, threshold, duration_ms >= 0 AS timed FROM gold_quality_results WHERE run_id = '${run.runId}' ORDER BY check_name`);
      expect(results.rows).toHaveLength(ALL_CHECKS.length);
      expect(results.rows.find((r) => r.check_name === 'trade_uniqueness')).toEqual({
        check_name: 'trade_uniqueness', table_name: 'bronze/trades', severity: 'error', blocking: true, status: 'fail', failing_rows: '3', observed: 3, threshold: 0, timed: true,
      });
      const failures = await engine.query(`SELECT check_name, row FROM gold_quality_failures WHERE run_id = '${run.runId}' ORDER BY row`);
      // Three duplicated trades, two kept (maxFailingRows), as JSON objects naming them.
      expect(failures.rows.map((r) => r.check_name)).toEqual(['trade_uniqueness', 'trade_uniqueness']);
      expect(failures.rows.map((r) => JSON.parse(String(r.row)).trade_id)).toEqual(dup.slice(0, 2).map((d) => String(d.tradeId)));
    } finally {
      engine.close();
    }
  });
});
