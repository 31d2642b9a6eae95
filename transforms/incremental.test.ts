/**
 * Must show 5: an incremental build equals a full one and rewrites only what changed. Three real
 * days of BTCUSDT 1m klines (January 2024, with the 5m/15m/1h candles streaming would build) minus
 * the last hour are built; the last hour is appended and built incrementally. Every gold table
 * then equals a full build over all of it, and gold/indicators' commit replaced only that day's
 * partition (gold/coverage, stored a file a month, its month's). The same holds for builds day
 * by day and hour by hour on one engine kept between runs (the worker's). A model that fails
 * leaves its previous output in place and skips its dependants.
 * Every model's own tests pass on the result (must show 6).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lake, LakeQueryEngine, optimize, type LakeRow } from '../lake/index.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { KLINES_2024_DIR, TRADES_2017_DIR } from '../test/fixtures/paths.ts';
import { extractZipCsv, loadKlinesIntoSilver, loadTradesIntoBronze } from '../test/support/lake-loaders.ts';
import { DEFAULT_GOLD_CONFIG, MODELS, runTransforms, testModels, type Model } from './index.ts';
import { fileDayRange } from './month-partitions.ts';

/**
 * The 2017 day has no $100k trade: a lower whale threshold gives whale_trades rows to compare.
 * Price spikes on 1h at a low z-score give alerts to compare, some in the first hours of a day,
 * whose frames (30 windows of 1h and one more) reach two days back: the alerts' lookback.
 */
const config = { ...DEFAULT_GOLD_CONFIG, whaleMinQuote: 10_000, priceSpike: { zScore: 2, window: 30, intervals: ['1h'] } };

const START = Date.parse('2024-01-01T00:00:00Z');
const LAST_HOUR = Date.parse('2024-01-03T23:00:00Z');
const END = Date.parse('2024-01-04T00:00:00Z');
const ROLL_UP = ['5m', '15m', '1h'] as const;
/** Columns that say when a row was computed, not what it is. */
const CLOCK_COLUMNS = new Set(['computed_at', 'raised_at']);

let csv: string;

async function seed(lake: Lake, klinesWhere: string) {
  await loadKlinesIntoSilver(lake, csv, { where: klinesWhere, rollUp: ROLL_UP });
}

async function otherInputs(lake: Lake) {
  await loadTradesIntoBronze(lake, path.join(TRADES_2017_DIR, 'BTCUSDT-trades-2017-08-17.csv'));
  const us = (iso: string) => Date.parse(iso) * 1000;
  await (await lake.table('bronze/sentiment')).append([
    { source: 'alternative.me', indicator: 'fear_and_greed', value: 65, classification: 'Greed', as_of: us('2024-01-02T00:00:00Z'), received_at: us('2024-01-02T00:05:00Z') },
    { source: 'alternative.me', indicator: 'fear_and_greed', value: 71, classification: 'Greed', as_of: us('2024-01-03T00:00:00Z'), received_at: us('2024-01-03T00:05:00Z') },
  ] satisfies LakeRow[]);
  await (await lake.table('bronze/news')).append([
    { feed: 'coindesk', guid: 'n1', link: null, title: 'Bitcoin ETF decision nears', summary: null, published_at: us('2024-01-02T09:12:00Z'), received_at: us('2024-01-02T09:14:00Z'), sentiment_score: 1, sentiment_comparative: 0.2, symbols: 'BTC' },
    { feed: 'coindesk', guid: 'n2', link: null, title: 'Ether slips', summary: null, published_at: us('2024-01-03T15:40:00Z'), received_at: us('2024-01-03T15:41:00Z'), sentiment_score: -2, sentiment_comparative: -0.5, symbols: 'ETH' },
  ] satisfies LakeRow[]);
  await (await lake.table('bronze/tickers')).append([
    { source: 'coingecko', coin_id: 'bitcoin', symbol: 'btc', vs_currency: 'usd', price: '42800.12', market_cap: '838000000000', volume_24h: '21000000000', high_24h: null, low_24h: null, price_change_pct_24h: 1.5, source_time: us('2024-01-03T23:58:00Z'), received_at: us('2024-01-03T23:58:30Z') },
  ] satisfies LakeRow[]);
}

async function tableRows(lake: Lake, table: string): Promise<Record<string, unknown>[]> {
  const engine = await LakeQueryEngine.open({ lake });
  try {
    const view = table.replace('/', '_');
    const { columns } = await engine.query(`SELECT * FROM ${view} LIMIT 0`);
    const keep = columns.filter((c) => !CLOCK_COLUMNS.has(c));
    return (await engine.query(`SELECT ${keep.map((c) => `"${c}"`).join(', ')} FROM ${view} ORDER BY ALL`)).rows;
  } finally {
    engine.close();
  }
}

function sameRows(a: Record<string, unknown>[], b: Record<string, unknown>[], table: string): string[] {
  const diffs: string[] = [];
  if (a.length !== b.length) return [`${table}: ${a.length} rows vs ${b.length}`];
  for (let i = 0; i < a.length && diffs.length < 5; i++) {
    for (const k of Object.keys(a[i])) {
      const x = a[i][k];
      const y = b[i][k];
      if (typeof x === 'number' && typeof y === 'number') {
        if (x !== y && Math.abs(x - y) > 1e-12 * Math.max(Math.abs(x), Math.abs(y))) diffs.push(`${table} row ${i} ${k}: ${x} vs ${y}`);
      } else if (JSON.stringify(x) !== JSON.stringify(y)) diffs.push(`${table} row ${i} ${k}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    }
  }
  return diffs;
}

beforeAll(async () => {
  csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
});
afterAll(() => removeTmpDirs());

describe('incremental builds', () => {
  it('appending an hour and building incrementally equals a full build, rewriting only the affected partitions', async () => {
    const incremental = new Lake(tmpLakeDir('incremental-'));
    await otherInputs(incremental);
    await seed(incremental, `open_time >= ${START} AND open_time < ${LAST_HOUR}`);
    const first = await runTransforms(incremental, MODELS, { config });
    expect(first.models.filter((m) => m.status !== 'success').map((m) => `${m.model}: ${m.error}`)).toEqual([]);

    await seed(incremental, `open_time >= ${LAST_HOUR} AND open_time < ${END}`);
    const indicatorsBefore = (await (await incremental.table('gold/indicators')).refresh()).version;
    const second = await runTransforms(incremental, MODELS, { config });
    const byModel = Object.fromEntries(second.models.map((m) => [m.model, m]));
    expect(second.models.filter((m) => m.status === 'failed')).toEqual([]);
    expect(byModel.indicators.partitions).toEqual([{ symbol: 'BTCUSDT', date: '2024-01-03' }]);
    expect(byModel.coverage.partitions).toEqual([{ symbol: 'BTCUSDT', date: '2024-01-03' }]);
    expect(byModel.signals.partitions).toEqual([{ symbol: 'BTCUSDT', date: '2024-01-03' }, { symbol: 'BTCUSDT', date: '2024-01-04' }]);
    // gold/signals is stored a file a month; its commit names the days it computed, so alerts
    // recompute those days and their look-ahead (the two days the 1h frames reach), not every day of January.
    expect(byModel.alerts.partitions).toEqual(['2024-01-03', '2024-01-04', '2024-01-05', '2024-01-06'].map((date) => ({ symbol: 'BTCUSDT', date })));
    expect(byModel.whale_trades.status).toBe('skipped');
    expect(byModel.sentiment.status).toBe('skipped');
    // Exactly one commit to gold/indicators, replacing only the file of 2024-01-03: the table is
    // stored a month a partition, its newest month (January here) a file a day.
    const indicators = await incremental.table('gold/indicators');
    const history = await indicators.history(5);
    expect(history[0].version).toBe(indicatorsBefore + 1);
    const before = await indicators.snapshotAt(indicatorsBefore);
    const actions = (await indicators.store.readCommit(history[0].version))!;
    const day = { min: '2024-01-03', max: '2024-01-03' };
    expect(actions.flatMap((a) => ('add' in a ? [fileDayRange(a.add)] : []))).toEqual([day]);
    expect(actions.flatMap((a) => ('remove' in a ? [fileDayRange(before.files.get(a.remove.path)!)] : []))).toEqual([day]);
    expect(new Set([...before.files.values()].map((f) => f.partitionValues.month))).toEqual(new Set(['2024-01']));
    // gold/coverage is a file a month (a day is a row): the day's row was computed, and the commit
    // rewrote January's one file with the days before kept (the full build below compares them).
    const coverageCommit = (await (await incremental.table('gold/coverage')).history(1))[0].version;
    const coverageActions = (await (await incremental.table('gold/coverage')).store.readCommit(coverageCommit))!;
    expect(coverageActions.flatMap((a) => ('add' in a ? [[a.add.partitionValues, fileDayRange(a.add)]] : []))).toEqual([[{ symbol: 'BTCUSDT', month: '2024-01' }, { min: '2024-01-01', max: '2024-01-03' }]]);

    const full = new Lake(tmpLakeDir('full-'));
    await otherInputs(full);
    await seed(full, `open_time >= ${START} AND open_time < ${END}`);
    expect((await runTransforms(full, MODELS, { fullRefresh: true, config })).ok).toBe(true);

    for (const model of MODELS) {
      const table = model.output.name;
      const [a, b] = [await tableRows(incremental, table), await tableRows(full, table)];
      expect(a.length, `${table} has rows`).toBeGreaterThan(0);
      expect(sameRows(a, b, table)).toEqual([]);
    }
    expect((await testModels(incremental, MODELS)).filter((r) => !r.passed)).toEqual([]);
  }, 240_000);

  it('a recomputed day in a file holding other days too (a settled month, or files optimize compacted): the file is written again with its other days kept, equal to a full build', async () => {
    const lake = new Lake(tmpLakeDir('compacted-'));
    await otherInputs(lake);
    await seed(lake, `open_time >= ${START} AND open_time < ${LAST_HOUR}`);
    expect((await runTransforms(lake, MODELS, { config })).ok).toBe(true);
    // January's day files of every gold table compacted into one file a month partition.
    for (const model of MODELS) await optimize(await lake.table(model.output.name));
    const indicators = await lake.table('gold/indicators');
    const compacted = indicators.snapshot();
    expect([...compacted.files.values()].map(fileDayRange)).toEqual([{ min: '2024-01-01', max: '2024-01-03' }]);

    await seed(lake, `open_time >= ${LAST_HOUR} AND open_time < ${END}`);
    const hourly = await runTransforms(lake, MODELS, { config });
    expect(hourly.models.filter((m) => m.status === 'failed')).toEqual([]);
    expect(hourly.models.find((m) => m.model === 'indicators')!.partitions).toEqual([{ symbol: 'BTCUSDT', date: '2024-01-03' }]);
    // The compacted file removed; its two other days written again beside the new one.
    const actions = (await indicators.store.readCommit((await indicators.history(1))[0].version))!;
    expect(actions.flatMap((a) => ('remove' in a ? [a.remove.path] : []))).toEqual([...compacted.files.keys()]);
    expect(new Set(actions.flatMap((a) => ('add' in a ? [fileDayRange(a.add)] : [])).flatMap((r) => [r!.min, r!.max]))).toEqual(new Set(['2024-01-01', '2024-01-02', '2024-01-03']));

    const full = new Lake(tmpLakeDir('compacted-full-'));
    await otherInputs(full);
    await seed(full, `open_time >= ${START} AND open_time < ${END}`);
    expect((await runTransforms(full, MODELS, { fullRefresh: true, config })).ok).toBe(true);
    for (const model of MODELS) expect(sameRows(await tableRows(lake, model.output.name), await tableRows(full, model.output.name), model.output.name)).toEqual([]);
  }, 240_000);

  it("on an engine kept between runs (the worker's), hourly builds two at a time equal a full build", async () => {
    const kept = new Lake(tmpLakeDir('kept-engine-'));
    await otherInputs(kept);
    const engine = await LakeQueryEngine.open({ lake: kept, readOnly: false });
    try {
      // Day by day, then the last day's hours, each build on the same engine (its views refreshed, not re-created).
      const DAY = 86_400_000;
      const steps = [START, START + DAY, START + 2 * DAY, LAST_HOUR - 3_600_000, LAST_HOUR, END];
      for (let i = 0; i + 1 < steps.length; i++) {
        await seed(kept, `open_time >= ${steps[i]} AND open_time < ${steps[i + 1]}`);
        const run = await runTransforms(kept, MODELS, { config, engine, concurrency: 2 });
        expect(run.models.filter((m) => m.status === 'failed').map((m) => `${m.model}: ${m.error}`)).toEqual([]);
      }
      // A full refresh on the kept engine too (its commits run on connections of their own).
      const refreshed = await runTransforms(kept, MODELS, { config, engine, fullRefresh: true });
      expect(refreshed.models.filter((m) => m.status === 'failed').map((m) => `${m.model}: ${m.error}`)).toEqual([]);
      // The runs' connections were closed; the engine still answers.
      expect(engine.openedConnections).toBe(0);
      expect((await engine.query('SELECT count(*)::INTEGER AS n FROM gold_indicators WHERE history_closes IS NOT NULL')).rows[0].n).toBeGreaterThan(0);
    } finally {
      engine.close();
    }
    const full = new Lake(tmpLakeDir('kept-full-'));
    await otherInputs(full);
    await seed(full, `open_time >= ${START} AND open_time < ${END}`);
    expect((await runTransforms(full, MODELS, { fullRefresh: true, config })).ok).toBe(true);
    for (const model of MODELS) {
      const table = model.output.name;
      expect(sameRows(await tableRows(kept, table), await tableRows(full, table), table)).toEqual([]);
    }
  }, 240_000);

  it('rows written without history_closes (before the column): the hourly build continues from the scanned rows, computing as few windows and the same rows as the build that kept them', async () => {
    // Two lakes built alike to the last hour; in one, gold/indicators' history_closes is blanked
    // (as rows written before the column), so its hourly build reads the history from the rows.
    const lakes = { kept: new Lake(tmpLakeDir('closes-kept-')), blanked: new Lake(tmpLakeDir('closes-blanked-')) };
    for (const lake of Object.values(lakes)) {
      await seed(lake, `open_time >= ${START} AND open_time < ${LAST_HOUR}`);
      expect((await runTransforms(lake, MODELS, { config })).ok).toBe(true);
    }
    const engine = await LakeQueryEngine.open({ lake: lakes.blanked, readOnly: false });
    try {
      await (await lakes.blanked.table('gold/indicators')).replacePartitionsFromSql(engine.connection, `SELECT * REPLACE (NULL::VARCHAR AS history_closes) FROM gold_indicators`);
    } finally {
      engine.close();
    }
    expect((await tableRows(lakes.blanked, 'gold/indicators')).filter((r) => r.history_closes !== null)).toEqual([]);
    const windows: Record<string, string[]> = { kept: [], blanked: [] };
    for (const [name, lake] of Object.entries(lakes)) {
      await seed(lake, `open_time >= ${LAST_HOUR} AND open_time < ${END}`);
      const run = await runTransforms(lake, MODELS, { config, log: (m) => m.startsWith('indicators: BTCUSDT from') && windows[name].push(m) });
      expect(run.models.filter((m) => m.status === 'failed').map((m) => `${m.model}: ${m.error}`)).toEqual([]);
    }
    // Warm series continued from the scanned rows rather than starting over from their first candle.
    expect(windows.blanked).toEqual(windows.kept);
    expect(windows.kept).toHaveLength(1);
    // The recomputed day equals the build that had history_closes (history_closes included).
    const day = async (lake: Lake) => (await tableRows(lake, 'gold/indicators')).filter((r) => String(r.date) === '2024-01-03');
    const [a, b] = [await day(lakes.blanked), await day(lakes.kept)];
    expect(a.length).toBeGreaterThan(0);
    expect(sameRows(a, b, 'gold/indicators 2024-01-03')).toEqual([]);
  }, 240_000);

  it('a model that fails leaves its previous output in place and skips the models that read it', async () => {
    const lake = new Lake(tmpLakeDir('failing-'));
    await seed(lake, `open_time >= ${START} AND open_time < ${START + 86_400_000}`);
    expect((await runTransforms(lake, MODELS)).ok).toBe(true);
    const version = async (t: string) => (await (await lake.table(t)).refresh()).version;
    const before = { indicators: await version('gold/indicators'), signals: await version('gold/signals') };
    await seed(lake, `open_time >= ${START + 86_400_000} AND open_time < ${START + 2 * 86_400_000}`);
    // The same models, but indicators' own test now fails (every row is "bad").
    const broken: Model[] = MODELS.map((m) => (m.name === 'indicators' ? { ...m, tests: [...m.tests, { kind: 'sql', name: 'always_fails', sql: 'SELECT * FROM {{ this }}' }] } : m));
    const run = await runTransforms(lake, broken);
    const byModel = Object.fromEntries(run.models.map((m) => [m.model, m]));
    expect(run.ok).toBe(false);
    expect(byModel.indicators.status).toBe('failed');
    expect(byModel.indicators.error).toMatch(/always_fails/);
    expect(byModel.signals).toMatchObject({ status: 'skipped', error: 'upstream model indicators failed' });
    expect(byModel.coverage.status).toBe('success');
    expect({ indicators: await version('gold/indicators'), signals: await version('gold/signals') }).toEqual(before);
    // Repaired, the next run catches up with everything that changed since the last success.
    const repaired = await runTransforms(lake, MODELS);
    expect(repaired.ok).toBe(true);
    expect(Object.fromEntries(repaired.models.map((m) => [m.model, m.partitions])).indicators).toEqual([{ symbol: 'BTCUSDT', date: '2024-01-02' }]);
    // The ledger recorded all three runs.
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const { rows } = await engine.query(`SELECT status, count(*)::INTEGER AS n FROM gold_transform_runs WHERE model = 'indicators' GROUP BY 1 ORDER BY 1`);
      expect(rows).toEqual([{ status: 'failed', n: 1 }, { status: 'success', n: 2 }]);
    } finally {
      engine.close();
    }
  }, 240_000);

  it("a model nothing reads whose tests fail leaves its output as it was and no file behind (its files are written beside its tests)", async () => {
    const lake = new Lake(tmpLakeDir('failing-leaf-'));
    await seed(lake, `open_time >= ${START} AND open_time < ${START + 86_400_000}`);
    expect((await runTransforms(lake, MODELS)).ok).toBe(true);
    const coverage = await lake.table('gold/coverage');
    const before = (await coverage.refresh()).version;
    await seed(lake, `open_time >= ${START + 86_400_000} AND open_time < ${START + 2 * 86_400_000}`);
    const broken: Model[] = MODELS.map((m) => (m.name === 'coverage' ? { ...m, tests: [...m.tests, { kind: 'sql', name: 'always_fails', sql: 'SELECT * FROM {{ this }}' }] } : m));
    const byModel = Object.fromEntries((await runTransforms(lake, broken)).models.map((m) => [m.model, m]));
    expect(byModel.coverage).toMatchObject({ status: 'failed', error: expect.stringMatching(/always_fails/) });
    expect(byModel.indicators.status).toBe('success');
    expect((await coverage.refresh()).version).toBe(before);
    const live = new Set([...coverage.snapshot().files.keys()].map((p) => decodeURIComponent(p)));
    const onDisk = (fs.readdirSync(coverage.dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).map((f) => f.split(path.sep).join('/'));
    expect(onDisk.filter((f) => !live.has(f))).toEqual([]);
  }, 240_000);

  /**
   * Over one day built by a full refresh, a second full refresh with `models` (whose indicators
   * fail with `error`): indicators fail, signals and alerts are skipped, and none of the three
   * tables gets a commit. Returns the run. `hourly`: the day's last hour is appended after the
   * first build, and the second build is an incremental one (its children build from the hour's
   * rows before their commit too).
   */
  async function expectFailedIndicatorsCommitNothing(dirPrefix: string, models: readonly Model[], error: RegExp, hourly = false) {
    const lake = new Lake(tmpLakeDir(dirPrefix));
    const dayEnd = START + 86_400_000;
    await seed(lake, `open_time >= ${START} AND open_time < ${hourly ? dayEnd - 3_600_000 : dayEnd}`);
    expect((await runTransforms(lake, MODELS, { fullRefresh: true })).ok).toBe(true);
    if (hourly) await seed(lake, `open_time >= ${dayEnd - 3_600_000} AND open_time < ${dayEnd}`);
    const tables = ['gold/indicators', 'gold/signals', 'gold/alerts'];
    const versions = async () => Promise.all(tables.map(async (t) => (await (await lake.table(t)).refresh()).version));
    const before = await versions();
    const run = await runTransforms(lake, models, { fullRefresh: !hourly });
    const byModel = Object.fromEntries(run.models.map((m) => [m.model, m]));
    expect(byModel.indicators.status).toBe('failed');
    expect(byModel.indicators.error).toMatch(error);
    expect(byModel.signals).toMatchObject({ status: 'skipped', error: 'upstream model indicators failed' });
    expect(byModel.alerts).toMatchObject({ status: 'skipped', error: expect.stringMatching(/^upstream model (indicators|signals) failed$/) });
    expect(await versions()).toEqual(before);
    // No file is left behind by a model that did not commit (signals and alerts write their files
    // before their parent's commit lands, and delete them when it fails).
    for (const t of tables) {
      const table = await lake.table(t);
      const live = new Set([...table.snapshot().files.keys()].map((p) => decodeURIComponent(p)));
      const onDisk = (fs.readdirSync(table.dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).map((f) => f.split(path.sep).join('/'));
      expect(onDisk.filter((f) => !live.has(f)), t).toEqual([]);
    }
    return { run, byModel };
  }

  /** Indicators' rows pass its tests, but one value cannot be written as the table's DOUBLE: the commit fails. */
  const unwritableIndicators = (): Model[] =>
    MODELS.map((m) =>
      m.name === 'indicators'
        ? {
            ...m,
            build: async (ctx, into) => {
              await m.build!(ctx, into);
              await ctx.conn.run(`ALTER TABLE ${into} ALTER COLUMN vwap TYPE VARCHAR`);
              await ctx.conn.run(`UPDATE ${into} SET vwap = 'not a number' WHERE window_start = (SELECT max(window_start) FROM ${into})`);
            },
          }
        : m,
    );

  it('a full refresh whose indicators commit fails commits none of indicators, signals and alerts, though these may have begun building from its rows', async () => {
    const { run, byModel } = await expectFailedIndicatorsCommitNothing('failing-commit-', unwritableIndicators(), /not a number/);
    expect(run.ok).toBe(false);
    expect(byModel.coverage.status).toBe('success');
  }, 240_000);

  it('an hourly build whose indicators commit fails commits none of indicators, signals and alerts, though these may have begun building from its rows', async () => {
    const { run, byModel } = await expectFailedIndicatorsCommitNothing('failing-commit-hourly-', unwritableIndicators(), /not a number/, true);
    expect(byModel.indicators.partitions).toEqual([{ symbol: 'BTCUSDT', date: '2024-01-01' }]);
    expect(run.ok).toBe(false);
  }, 240_000);

  it('a full refresh whose indicators tests fail commits none of indicators, signals and alerts (the tests run beside their building)', async () => {
    const broken: Model[] = MODELS.map((m) => (m.name === 'indicators' ? { ...m, tests: [...m.tests, { kind: 'sql', name: 'always_fails', sql: 'SELECT * FROM {{ this }}' }] } : m));
    await expectFailedIndicatorsCommitNothing('failing-tests-full-', broken, /always_fails/);
  }, 240_000);

  it('a first build restricted to --from/--to computes every model for those dates only, equal to the full build there', async () => {
    const full = new Lake(tmpLakeDir('range-full-'));
    const ranged = new Lake(tmpLakeDir('range-first-'));
    for (const lake of [full, ranged]) await seed(lake, `open_time >= ${START} AND open_time < ${END}`);
    expect((await runTransforms(full, MODELS, { config })).ok).toBe(true);
    const run = await runTransforms(ranged, MODELS, { config, from: '2024-01-02', to: '2024-01-02' });
    expect(run.models.filter((m) => m.status !== 'success' && m.status !== 'skipped').map((m) => `${m.model}: ${m.error}`)).toEqual([]);
    const onDay = (rows: Record<string, unknown>[]) => rows.filter((r) => String(r.date) === '2024-01-02');
    const indicators = await tableRows(ranged, 'gold/indicators');
    expect(indicators.length).toBeGreaterThan(1440);
    expect(new Set(indicators.map((r) => String(r.date)))).toEqual(new Set(['2024-01-02']));
    // The recursions started from the series' first candle, as in the full build.
    expect(sameRows(indicators, onDay(await tableRows(full, 'gold/indicators')), 'gold/indicators')).toEqual([]);
  }, 240_000);
});
