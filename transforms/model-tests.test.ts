/**
 * A model's tests: counted in one scan of the rows under test, each failing test then run on its
 * own for its count (failing groups for unique and accepted_values, failing rows for the others)
 * and a sample; an SQL test of another form than `SELECT * FROM {{ this }} WHERE ...` still runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Model } from './model.ts';
import { runModelTests, screenSql } from './model-tests.ts';

let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});
afterAll(() => {
  conn.closeSync();
  db.closeSync();
});

const model = (tests: Model['tests']) => ({ name: 'm', tests }) as unknown as Model;

const TESTS: Model['tests'] = [
  { kind: 'unique', columns: ['k', 'j'] },
  { kind: 'not_null', columns: ['k', 'v'] },
  { kind: 'accepted_values', column: 'kind', values: ['a', 'b'] },
  { kind: 'sql', name: 'v_positive', sql: `SELECT * FROM {{ this }} WHERE v <= 0` },
  { kind: 'sql', name: 'at_most_three_rows', sql: `SELECT count(*) AS n FROM {{ this }} HAVING count(*) > 3` },
];

describe('runModelTests', () => {
  it('passes clean rows', async () => {
    await conn.run(`CREATE OR REPLACE TABLE clean AS SELECT * FROM (VALUES (1, 1, 1.0, 'a'), (2, 1, 2.0, 'b'), (2, 2, 3.0, 'a')) t(k, j, v, kind)`);
    const results = await runModelTests(conn, model(TESTS), 'clean');
    expect(results.map((r) => [r.test, r.passed, r.failures])).toEqual([
      ['unique(k, j)', true, 0],
      ['not_null(k, v)', true, 0],
      ['accepted_values(kind)', true, 0],
      ['v_positive', true, 0],
      ['at_most_three_rows', true, 0],
    ]);
  });

  it('fails each planted defect with its own count and a sample', async () => {
    await conn.run(`CREATE OR REPLACE TABLE dirty AS SELECT * FROM (VALUES
      (1, 1, 1.0, 'a'), (1, 1, 2.0, 'a'), (1, 1, 3.0, 'a'), (2, 2, NULL, 'x'), (3, 3, -1.0, 'x'), (4, 4, -2.0, 'y'), (NULL, 5, 1.0, 'b')) t(k, j, v, kind)`);
    const results = await runModelTests(conn, model(TESTS), 'dirty');
    expect(results.map((r) => [r.test, r.passed, r.failures])).toEqual([
      ['unique(k, j)', false, 1], // one key three times: one failing group
      ['not_null(k, v)', false, 2],
      ['accepted_values(kind)', false, 2], // 'x' and 'y'
      ['v_positive', false, 2],
      ['at_most_three_rows', false, 1],
    ]);
    expect(results[3].sample.map((r) => Number(r.v)).sort((a, b) => a - b)).toEqual([-2, -1]);
  });

  it('a NULL key alone is no duplicate', async () => {
    await conn.run(`CREATE OR REPLACE TABLE nulls AS SELECT * FROM (VALUES (NULL, 1, 1.0, 'a'), (1, 1, 1.0, 'a')) t(k, j, v, kind)`);
    const [unique] = await runModelTests(conn, model([{ kind: 'unique', columns: ['k'] }]), 'nulls');
    expect([unique.passed, unique.failures]).toEqual([true, 0]);
  });

  it("screens keys of strings by the strings, not by DuckDB's string hash, which collides on near-identical ids", async () => {
    // Two signal ids of the 2024 BTCUSDT build whose hashes are equal.
    const ids = ['macd_cross_up:binance:BTCUSDT:1m:2024-02-01T08:20:00Z', 'macd_cross_up:binance:BTCUSDT:1m:2024-09-01T08:50:00Z'];
    await conn.run(`CREATE OR REPLACE TABLE ids AS SELECT * FROM (VALUES ('${ids[0]}', 1), ('${ids[1]}', 2)) t(id, n)`);
    expect((await conn.runAndReadAll(`SELECT hash('${ids[0]}') = hash('${ids[1]}')`)).getRows()[0][0]).toBe(true);
    const unique = { kind: 'unique', columns: ['id'] } as const;
    const screen = async (strings: Set<string>) => Number((await conn.runAndReadAll(`SELECT (${screenSql(unique, 'ids', strings)})::INTEGER FROM ids`)).getRows()[0][0]);
    expect(await screen(new Set(['id']))).toBe(0);
    expect(await screen(new Set())).toBe(1); // hashed: a false alarm, settled by the test's own query
    await conn.run(`INSERT INTO ids VALUES ('${ids[0]}', 3)`);
    expect(await screen(new Set(['id']))).toBe(1);
  });
});
