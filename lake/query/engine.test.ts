import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lake } from '../lake.ts';
import { optimize } from '../maintenance/optimize.ts';
import { vacuum } from '../maintenance/vacuum.ts';
import { syntheticTrades } from '../../test/support/lake/synthetic-trades.ts';
import { KLINES_2017, klineToSilverRow, readKlines } from '../../test/support/api-lake.ts';
import { removeTmpDirs, tmpLakeDir } from '../../test/support/lake/tmp.ts';
import { LakeQueryEngine } from './engine.ts';
import { ReadOnlyViolation } from './readonly-guard.ts';
import { formatResult } from './format.ts';

afterAll(removeTmpDirs);

function candle(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    exchange: 'binance', symbol: 'BTCUSDT', interval: '1m', window_start: 1709251200000000, window_end: 1709251260000000,
    open: '100.00000000', high: '101.00000000', low: '99.00000000', close: '100.50000000', volume: '2.00000000',
    quote_volume: '200.5', vwap: '100.25', trade_count: 3, taker_buy_volume: '1', taker_buy_quote_volume: '100.25',
    first_trade_id: 1, last_trade_id: 3, revision: 1, is_final: false, finalized_at: null, ...overrides,
  };
}

/** silver/candles with the real 2017-08-17 klines as BTCUSDT and ETHUSDT, and a second BTCUSDT commit revising minute 10 (close 1.00000000). */
async function twoSymbolCandleLake() {
  const lake = new Lake(tmpLakeDir());
  const candles = await lake.table('silver/candles');
  const klines = await readKlines(KLINES_2017);
  await candles.append([...klines.map((k) => klineToSilverRow(k, 'BTCUSDT')), ...klines.map((k) => klineToSilverRow(k, 'ETHUSDT'))]);
  await candles.append([{ ...klineToSilverRow(klines[10], 'BTCUSDT'), revision: 1, close: '1.00000000' }]);
  return { lake, klines };
}

describe('LakeQueryEngine', () => {
  it('a brand-new lake already has every contract view, typed and empty, and picks up the first commit', async () => {
    const lake = new Lake(tmpLakeDir());
    const engine = await LakeQueryEngine.open({ lake });
    try {
      for (const view of ['bronze_trades', 'bronze_tickers', 'bronze_sentiment', 'bronze_news', 'silver_candles', 'silver_candles_all_revisions']) {
        expect((await engine.query(`SELECT count(*) AS n FROM ${view}`)).rows[0].n, view).toBe('0');
      }
      const described = await engine.query('DESCRIBE silver_candles');
      expect(described.rows.find((r) => r.column_name === 'close')?.column_type).toMatch(/^DECIMAL/);
      expect(await lake.listTables()).toEqual([]); // reading created nothing on disk

      await (await lake.table('silver/candles')).append([candle({})]);
      expect(await engine.refresh()).toContain('silver_candles');
      expect((await engine.query('SELECT count(*) AS n FROM silver_candles')).rows[0].n).toBe('1');
    } finally {
      engine.close();
    }
  });

  it('silver_candles shows only the latest revision; all revisions stay visible', async () => {
    const lake = new Lake(tmpLakeDir());
    const candles = await lake.table('silver/candles');
    await candles.append([candle({ revision: 1 }), candle({ window_start: 1709251260000000, window_end: 1709251320000000, revision: 1 })]);
    await candles.append([candle({ revision: 2, close: '100.70000000', is_final: true, finalized_at: 1709251265000000 }), candle({ interval: '5m', window_end: 1709251500000000 })]);
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const { rows } = await engine.query(`SELECT "interval", window_start, close, revision, is_final FROM silver_candles WHERE symbol = 'BTCUSDT' AND date = DATE '2024-03-01' ORDER BY "interval", window_start`);
      expect(rows).toEqual([
        { interval: '1m', window_start: '2024-03-01 00:00:00+00', close: '100.70000000', revision: '2', is_final: true },
        { interval: '1m', window_start: '2024-03-01 00:01:00+00', close: '100.50000000', revision: '1', is_final: false },
        { interval: '5m', window_start: '2024-03-01 00:00:00+00', close: '100.50000000', revision: '1', is_final: false },
      ]);
      expect((await engine.query('SELECT count(*) AS n FROM silver_candles_all_revisions')).rows[0].n).toBe('4');
    } finally {
      engine.close();
    }
  });

  it('is read-only: one SELECT only, nothing outside the lake, no settings changes', async () => {
    const lake = new Lake(tmpLakeDir());
    await (await lake.table('bronze/trades')).append(syntheticTrades({ count: 3 }));
    const outside = path.join(tmpLakeDir('outside-'), 'secret.csv');
    fs.writeFileSync(outside, 'a,b\n1,2\n');
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const inLake = path.join(lake.root, 'bronze', 'trades', 'x.parquet');
      await expect(engine.query(`COPY (SELECT * FROM bronze_trades) TO '${inLake}' (FORMAT parquet)`)).rejects.toThrow(ReadOnlyViolation);
      expect(fs.existsSync(inLake)).toBe(false);
      await expect(engine.query(`ATTACH '${path.join(lake.root, 'x.duckdb')}' AS x`)).rejects.toThrow(ReadOnlyViolation);
      await expect(engine.query(`CREATE TABLE t AS SELECT 1`)).rejects.toThrow(ReadOnlyViolation);
      await expect(engine.query(`DROP VIEW bronze_trades`)).rejects.toThrow(ReadOnlyViolation);
      await expect(engine.query(`SET enable_external_access = true`)).rejects.toThrow(ReadOnlyViolation);
      await expect(engine.query(`SELECT 1; DROP VIEW bronze_trades`)).rejects.toThrow(/one statement|read-only/);
      await expect(engine.query(`SELECT * FROM read_csv('${outside}')`)).rejects.toThrow(/Permission|disabled/);
      // the guard is not the only wall: the settings themselves are locked
      await expect(engine.connection.run(`SET enable_external_access = true`)).rejects.toThrow(/lock|configuration/i);
      await expect(engine.connection.run(`SELECT * FROM read_csv('${outside}')`)).rejects.toThrow(/Permission|disabled/);
      // reading the lake still works, including DESCRIBE and CTEs
      expect((await engine.query(`WITH t AS (SELECT * FROM bronze_trades) SELECT count(*) AS n FROM t`)).rows[0].n).toBe('3');
      expect((await engine.query(`DESCRIBE bronze_trades`)).rows.map((r) => r.column_name)).toContain('quote_qty');
    } finally {
      engine.close();
    }
  });

  it('refresh reads only new commits, replaces only changed views, and finds new gold tables', async () => {
    const lake = new Lake(tmpLakeDir());
    const trades = await lake.table('bronze/trades');
    await lake.ensureKnownTables();
    const engine = await LakeQueryEngine.open({ lake });
    try {
      expect(await engine.refresh()).toEqual([]);
      await trades.append(syntheticTrades({ count: 5 }));
      expect(await engine.refresh()).toEqual(['bronze_trades']);
      await trades.append(syntheticTrades({ count: 5, firstTradeId: 10 }));
      // damage an old commit that a full replay would need: an incremental refresh does not read it
      fs.writeFileSync(path.join(trades.dir, '_delta_log', '00000000000000000000.json'), 'garbage that a full replay would choke on\n');
      expect(await engine.refresh()).toEqual(['bronze_trades']);
      expect((await engine.query('SELECT count(*) AS n FROM bronze_trades')).rows[0].n).toBe('10');
      const gold = await lake.createTable({ name: 'gold/daily', columns: [{ name: 'd', type: 'date', nullable: false }, { name: 'v', type: 'decimal(38,8)' }] });
      void gold;
      expect(await engine.refresh()).toEqual(['gold_daily']);
      expect((await engine.query('SELECT count(*) AS n FROM gold_daily')).rows[0].n).toBe('0');
    } finally {
      engine.close();
    }
  });

  it('a query whose files were vacuumed away refreshes and retries', async () => {
    const lake = new Lake(tmpLakeDir());
    const trades = await lake.table('bronze/trades');
    await trades.append(syntheticTrades({ count: 5 }));
    await trades.append(syntheticTrades({ count: 5, firstTradeId: 6 }));
    const engine = await LakeQueryEngine.open({ lake });
    try {
      await optimize(trades);
      expect((await vacuum(trades, { retentionHours: 0 })).deleted.length).toBe(2);
      // the engine's views still name the two removed files
      expect((await engine.query('SELECT count(*) AS n FROM bronze_trades')).rows[0].n).toBe('10');
      expect(engine.viewVersions().bronze_trades).toBe(3);
    } finally {
      engine.close();
    }
  });

  it('prunes partitions from the query text and returns exactly what the full view returns', async () => {
    const lake = new Lake(tmpLakeDir());
    const trades = await lake.table('bronze/trades');
    await trades.append(syntheticTrades({ count: 600, symbols: ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'], stepUs: 1_000_000_000 })); // ~7 days
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const queries = [
        `SELECT count(*) AS n, sum(qty) AS q FROM bronze_trades WHERE symbol = 'BBBUSDT' AND date = DATE '2024-03-03'`,
        `SELECT count(*) AS n FROM bronze_trades t WHERE t.symbol IN ('AAAUSDT', 'CCCUSDT') AND date BETWEEN '2024-03-02' AND '2024-03-04'`,
        `SELECT count(*) AS n FROM bronze_trades WHERE '2024-03-05' <= date AND symbol = 'AAAUSDT'`,
        `SELECT count(*) AS n FROM bronze_trades WHERE date > DATE '2024-03-03' AND date < '2024-03-06'`,
        `SELECT count(*) AS n FROM bronze_trades WHERE symbol = 'AAAUSDT' OR date = DATE '2024-03-01'`,
        `SELECT a.symbol, count(*) AS n FROM bronze_trades a JOIN bronze_trades b USING (trade_id) WHERE a.symbol = 'AAAUSDT' GROUP BY 1`,
        `SELECT count(*) AS n FROM (SELECT * FROM bronze_trades WHERE symbol = 'CCCUSDT') x WHERE x.date = DATE '2024-03-02'`,
        `WITH bronze_trades AS (SELECT 'AAAUSDT' AS symbol) SELECT count(*) AS n FROM bronze_trades WHERE symbol = 'AAAUSDT'`,
      ];
      for (const q of queries) {
        const pruned = (await engine.query(q)).rows;
        // the same query over a subquery, which the pruner leaves alone
        const unpruned = (await engine.query(q.replace(/(FROM|JOIN) bronze_trades\b/g, '$1 (SELECT * FROM bronze_trades)'))).rows;
        expect(pruned, q).toEqual(unpruned);
      }
      const n = Number((await engine.query(queries[0])).rows[0].n);
      // it really was pruned: the rewrite went through a temp view over the matching files only
      const temp = (await engine.connection.runAndReadAll(`SELECT sql FROM duckdb_views() WHERE view_name LIKE '__pruned_bronze_trades_%' AND sql LIKE '%BBBUSDT/date=2024-03-03%'`)).getRowsJson();
      expect(temp.length).toBeGreaterThan(0);
      expect(String(temp[0][0]).match(/\.parquet'/g)!.length).toBe(1);
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(600 / 3);
      // a query cached before a commit sees the new commit after refresh
      await trades.append(syntheticTrades({ count: 4, symbols: ['BBBUSDT'], startUs: Date.UTC(2024, 2, 3) * 1000, firstTradeId: 9000 }));
      await engine.refresh();
      expect(Number((await engine.query(queries[0])).rows[0].n)).toBe(n + 4);
    } finally {
      engine.close();
    }
  });

  it('prunes scans of silver_candles_all_revisions (the candle view the API reads) like the table', async () => {
    const { lake, klines } = await twoSymbolCandleLake();
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const q = `SELECT epoch_us(window_start) AS w, close FROM silver_candles_all_revisions WHERE symbol = 'BTCUSDT' AND date = DATE '2017-08-17' AND "interval" = '1m' QUALIFY row_number() OVER (PARTITION BY window_start ORDER BY revision DESC) = 1 ORDER BY w`;
      const pruned = (await engine.query(q)).rows;
      expect(pruned).toHaveLength(klines.length);
      expect(pruned[10].close).toBe('1.00000000');
      expect((await engine.query(q.replace('FROM silver_candles_all_revisions', 'FROM (SELECT * FROM silver_candles_all_revisions)'))).rows).toEqual(pruned);
      const temp = (await engine.connection.runAndReadAll(`SELECT sql FROM duckdb_views() WHERE view_name LIKE '__pruned_silver_candles_all_revisions_%'`)).getRowsJson();
      expect(temp).toHaveLength(1);
      // both BTCUSDT files of the day (the two commits), none of ETHUSDT
      expect(String(temp[0][0]).match(/\.parquet'/g)).toHaveLength(2);
      expect(String(temp[0][0])).not.toMatch(/ETHUSDT/);
      // A DOUBLE constant with an integral value survives the rewrite (JSON would drop its ".0").
      const scaled = await engine.query(`SELECT max(close::DOUBLE * 1e16) AS x, max(close::DOUBLE * 2.5e0) AS y FROM silver_candles_all_revisions WHERE symbol = 'BTCUSDT' AND date = DATE '2017-08-17'`);
      expect(scaled.rows[0].x).toBeGreaterThan(1e16);
    } finally {
      engine.close();
    }
  });

  it('queryPartitions: a composed query over named partitions reads exactly their files, concurrently, and the sandbox still holds', async () => {
    const { lake, klines } = await twoSymbolCandleLake();
    const engine = await LakeQueryEngine.open({ lake, connections: 3 });
    try {
      const viaView = (await engine.query(`SELECT epoch_us(window_start) AS w, close, revision FROM silver_candles_all_revisions WHERE symbol = 'BTCUSDT' AND date = DATE '2017-08-17' ORDER BY w, revision`)).rows;
      const sources: string[] = [];
      const composed = (sql: string) => (source: string) => {
        sources.push(source);
        return sql.replace('$source', source);
      };
      const partition = [{ symbol: 'BTCUSDT', date: '2017-08-17' }];
      // Every revision (the all-revisions view's rows), ten queries at once over the small pool.
      const answers = await Promise.all(Array.from({ length: 10 }, () => engine.queryPartitions('silver/candles', partition, composed('SELECT epoch_us(window_start) AS w, close, revision FROM $source ORDER BY w, revision'))));
      for (const a of answers) expect(a.rows).toEqual(viaView);
      expect(viaView.length).toBe(klines.length + 1);
      // both BTCUSDT files of the day (the two commits), none of ETHUSDT
      expect(sources[0].match(/\.parquet'/g)).toHaveLength(2);
      expect(sources[0]).not.toMatch(/ETHUSDT/);
      // A partition without files: the typed empty source.
      const none = await engine.queryPartitions('silver/candles', [{ symbol: 'BTCUSDT', date: '2030-01-01' }], (source) => `SELECT count(*) AS n, max(close) AS c FROM ${source}`);
      expect(none.rows).toEqual([{ n: '0', c: null }]);
      // Composed or not, nothing outside the lake is readable.
      await expect(engine.queryPartitions('silver/candles', partition, () => `SELECT * FROM read_csv('/etc/passwd')`)).rejects.toThrow(/Permission|disabled/);
    } finally {
      engine.close();
    }
  });

  it('openConnection: another connection sees the views and their refreshes, with the session settings; concurrent refreshes replace a view once; a refresh of named tables touches their views only', async () => {
    const { lake } = await twoSymbolCandleLake();
    const engine = await LakeQueryEngine.open({ lake, readOnly: false });
    try {
      const other = await engine.openConnection();
      const count = async () => Number((await other.runAndReadAll(`SELECT count(*) FROM silver_candles_all_revisions`)).getRows()[0][0]);
      const before = await count();
      expect((await other.runAndReadAll(`SELECT current_setting('TimeZone')`)).getRows()[0][0]).toBe('UTC');
      await (await lake.table('silver/candles')).append([candle({ window_start: 1709251260000000, window_end: 1709251320000000 })]);
      // Two refreshes at once (two models' work): no catalog conflict, the view changes once.
      const [a, b] = await Promise.all([engine.refresh(), engine.refresh()]);
      expect([...a, ...b]).toEqual(['silver_candles']);
      expect(await count()).toBe(before + 1);
      // A refresh of named tables, on the connection about to read them: only their views.
      await (await lake.table('silver/candles')).append([candle({ window_start: 1709251320000000, window_end: 1709251380000000 })]);
      expect(await engine.refresh(['bronze/trades', 'silver/candles'], other)).toEqual(['silver_candles']);
      expect(await count()).toBe(before + 2);
      // silver_candles (not defined again: it reads silver_candles_all_revisions by name) follows.
      const latest = Number((await other.runAndReadAll(`SELECT count(*) FROM silver_candles`)).getRows()[0][0]);
      expect(latest).toBe(Number((await other.runAndReadAll(`SELECT count(DISTINCT (symbol, window_start)) FROM silver_candles_all_revisions`)).getRows()[0][0]));
      expect(await engine.refresh()).toEqual([]);
      await expect(LakeQueryEngine.open({ lake }).then(async (ro) => {
        try {
          return await ro.openConnection();
        } finally {
          ro.close();
        }
      })).rejects.toThrow(/read-only/);
    } finally {
      engine.close();
    }
  });

  it("refresh's deferDefinition: the view moves to the new snapshot (files, version) at once and is defined in DuckDB once SQL names it", async () => {
    const { lake } = await twoSymbolCandleLake();
    const engine = await LakeQueryEngine.open({ lake, readOnly: false });
    try {
      const other = await engine.openConnection();
      const count = async (conn = other) => Number((await conn.runAndReadAll(`SELECT count(*) FROM silver_candles_all_revisions`)).getRows()[0][0]);
      const before = await count();
      const version = engine.viewVersions().silver_candles;
      await (await lake.table('silver/candles')).append([candle({ window_start: 1709251260000000, window_end: 1709251320000000 })]);
      expect(await engine.refresh(['silver/candles'], other, { deferDefinition: true })).toEqual(['silver_candles']);
      expect(engine.viewVersions().silver_candles).toBe(version + 1);
      expect(engine.deferredViews()).toEqual(['silver_candles']);
      // Its files are the new snapshot's; the DuckDB view is still the one before.
      const files = Number((await other.runAndReadAll(`SELECT count(*) FROM ${engine.partitionsRelation('silver/candles', [{ symbol: 'BTCUSDT', date: '2024-03-01' }])}`)).getRows()[0][0]);
      expect(files).toBe(1);
      expect(await count()).toBe(before);
      // A connection defining views on demand: the statement naming it reads the new snapshot.
      expect(await count(engine.definingViews(other))).toBe(before + 1);
      expect(engine.deferredViews()).toEqual([]);
      // Deferred again; a query through the engine, or a refresh without deferring, defines it.
      await (await lake.table('silver/candles')).append([candle({ window_start: 1709251320000000, window_end: 1709251380000000 })]);
      await engine.refresh(['silver/candles'], other, { deferDefinition: true });
      expect(Number((await engine.query(`SELECT count(*) AS n FROM silver_candles_all_revisions`)).rows[0].n)).toBe(before + 2);
      await (await lake.table('silver/candles')).append([candle({ window_start: 1709251380000000, window_end: 1709251440000000 })]);
      await engine.refresh(['silver/candles'], other, { deferDefinition: true });
      expect(await engine.refresh(['silver/candles'], other)).toEqual([]);
      expect(engine.deferredViews()).toEqual([]);
      expect(await count()).toBe(before + 3);
    } finally {
      engine.close();
    }
  });

  it('formats results as table, csv and json', () => {
    const r = { columns: ['a', 'b'], columnTypes: ['VARCHAR', 'DECIMAL(18,8)'], rows: [{ a: 'x,"y"', b: '1.50000000' }, { a: null, b: '2.00000000' }] };
    expect(formatResult(r, 'csv')).toBe('a,b\n"x,""y""",1.50000000\n,2.00000000');
    expect(JSON.parse(formatResult(r, 'json'))).toEqual(r.rows);
    const t = formatResult(r, 'table');
    expect(t).toMatch(/│ x,"y" +│ +1\.50000000 │/);
    expect(t).toMatch(/│ NULL +│ +2\.00000000 │/);
    expect(t.endsWith('2 rows')).toBe(true);
  });
});

describe('limitThreads', () => {
  it('lowers the thread count until released, without disturbing an append under way on the main connection', async () => {
    const engine = await LakeQueryEngine.open({ lake: new Lake(tmpLakeDir()), readOnly: false, threads: 2 });
    try {
      const threads = async () => Number((await engine.connection.runAndReadAll(`SELECT current_setting('threads')::INTEGER`)).getRows()[0][0]);
      // An append under way on the main connection (a transform lane's), the limit set meanwhile.
      await engine.connection.run(`CREATE TABLE appended (x INTEGER)`);
      const appender = await engine.connection.createAppender('appended');
      for (let i = 0; i < 1000; i++) {
        appender.appendInteger(i);
        appender.endRow();
      }
      appender.flushSync();
      const release = await engine.limitThreads(1);
      for (let i = 1000; i < 2000; i++) {
        appender.appendInteger(i);
        appender.endRow();
      }
      appender.closeSync();
      expect((await engine.connection.runAndReadAll(`SELECT count(*)::INTEGER, sum(x)::INTEGER FROM appended`)).getRows()[0]).toEqual([2000, 1999000]);
      expect(await threads()).toBe(1);
      await release();
      expect(await threads()).toBe(2);
    } finally {
      engine.close();
    }
  });

  it('leaves an engine opened with no more threads than the limit as it is, and a later change of the count too', async () => {
    const engine = await LakeQueryEngine.open({ lake: new Lake(tmpLakeDir()), readOnly: false, threads: 1 });
    try {
      const threads = async () => Number((await engine.connection.runAndReadAll(`SELECT current_setting('threads')::INTEGER`)).getRows()[0][0]);
      const release = await engine.limitThreads(2);
      expect(await threads()).toBe(1);
      // A count set by hand meanwhile is not undone by the release (nothing was set to go back from).
      await engine.connection.run(`SET threads = 3`);
      await release();
      expect(await threads()).toBe(3);
    } finally {
      engine.close();
    }
  });
});
