/**
 * Running a model's tests (dbt style): each test is a query returning the failing rows; a test
 * passes when it returns none. `{{ this }}` in an SQL test names the rows under test: the rows a
 * build is about to commit (a failing test stops the commit) or the whole table
 * (`marketlake transform test`).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlIdentifier, sqlLiteral, queryJson } from '../lake/index.ts';
import type { Model, ModelTest } from './model.ts';

export interface TestResult {
  readonly model: string;
  readonly test: string;
  readonly passed: boolean;
  readonly failures: number;
  /** Up to five failing rows, for the message. */
  readonly sample: readonly Record<string, unknown>[];
}

export class ModelTestFailure extends Error {
  constructor(readonly results: readonly TestResult[]) {
    super(`model tests failed: ${results.map((r) => `${r.model}.${r.test} (${r.failures} rows, e.g. ${JSON.stringify(r.sample[0])})`).join('; ')}`);
    this.name = 'ModelTestFailure';
  }
}

export function testName(t: ModelTest): string {
  switch (t.kind) {
    case 'unique':
      return `unique(${t.columns.join(', ')})`;
    case 'not_null':
      return `not_null(${t.columns.join(', ')})`;
    case 'accepted_values':
      return `accepted_values(${t.column})`;
    case 'sql':
      return t.name;
  }
}

/** The SELECT returning a test's failing rows over `relation`. */
export function testSql(t: ModelTest, relation: string): string {
  switch (t.kind) {
    case 'unique': {
      const cols = t.columns.map(sqlIdentifier).join(', ');
      return `SELECT ${cols}, count(*) AS n FROM ${relation} GROUP BY ${cols} HAVING count(*) > 1`;
    }
    case 'not_null':
      return `SELECT * FROM ${relation} WHERE ${t.columns.map((c) => `${sqlIdentifier(c)} IS NULL`).join(' OR ')}`;
    case 'accepted_values':
      return `SELECT ${sqlIdentifier(t.column)}, count(*) AS n FROM ${relation} WHERE ${sqlIdentifier(t.column)} IS NULL OR CAST(${sqlIdentifier(t.column)} AS VARCHAR) NOT IN (${t.values.map(sqlLiteral).join(', ')}) GROUP BY 1`;
    case 'sql':
      return t.sql.replace(/\{\{\s*this\s*\}\}/g, relation);
  }
}

/**
 * A test as an aggregate over the rows under test that is 0 exactly when the test passes: its
 * failing-row condition counted (not_null, accepted_values, and SQL tests of the form `SELECT *
 * FROM {{ this }} WHERE ...`), duplicates as rows minus distinct keys (unique); other SQL tests
 * as a subquery. `stringColumns`: the model's columns of type string (unique's keys, see there).
 */
export function screenSql(t: ModelTest, relation: string, stringColumns: ReadonlySet<string> = new Set()): string {
  const counted = (condition: string) => `count(*) FILTER (WHERE ${condition})`;
  switch (t.kind) {
    case 'unique': {
      const cols = t.columns.map(sqlIdentifier).join(', ');
      // Keys as their hashes (equal keys hash alike, so a duplicate always shows, and a collision
      // only sends the test to its own query; ~30% less CPU than the keys themselves for the
      // 678,853 indicator rows of a year), but for keys of strings alone, counted as they are:
      // DuckDB's string hash collides on strings that differ in a few characters (81 of a year's
      // 128,606 signal ids, such as '...:1m:2024-02-01T08:20:00Z' and '...:1m:2024-09-01T08:50:00Z'),
      // and every build then ran the test's own query too. (A row of the keys: a NULL key still
      // counts as one, as its hash does.)
      return t.columns.every((c) => stringColumns.has(c)) ? `count(*) - count(DISTINCT row(${cols}))` : `count(*) - count(DISTINCT hash(${cols}))`;
    }
    case 'not_null':
      return counted(t.columns.map((c) => `${sqlIdentifier(c)} IS NULL`).join(' OR '));
    case 'accepted_values':
      return counted(`${sqlIdentifier(t.column)} IS NULL OR CAST(${sqlIdentifier(t.column)} AS VARCHAR) NOT IN (${t.values.map(sqlLiteral).join(', ')})`);
    case 'sql': {
      const filter = /^\s*SELECT\s+\*\s+FROM\s+\{\{\s*this\s*\}\}\s+WHERE\s+([\s\S]+?)\s*$/i.exec(t.sql)?.[1];
      if (filter && !/\{\{|\bselect\b/i.test(filter)) return counted(filter);
      return `(SELECT count(*) FROM (${testSql(t, relation)}))`;
    }
  }
}

/**
 * Runs every test of a model: one scan of the rows counts them all (screenSql; a subquery a
 * test cost DuckDB a millisecond or more of planning each), and only a test that fails is run
 * on its own, for its count of failing rows and a sample.
 */
export async function runModelTests(conn: DuckDBConnection, model: Model, relation: string): Promise<TestResult[]> {
  if (model.tests.length === 0) return [];
  const stringColumns = new Set((model.output?.columns ?? []).filter((c) => c.type === 'string').map((c) => c.name));
  const screen = (t: ModelTest) => screenSql(t, relation, stringColumns);
  const [screens] = (await queryJson(conn, `SELECT ${model.tests.map((t, i) => `(${screen(t)})::BIGINT AS t${i}`).join(', ')} FROM ${relation}`)) as Record<string, string | number>[];
  const results: TestResult[] = [];
  for (let i = 0; i < model.tests.length; i++) {
    const sql = testSql(model.tests[i], relation);
    const n = Number(screens[`t${i}`]) > 0 ? Number((await queryJson(conn, `SELECT count(*)::INTEGER AS n FROM (${sql})`))[0].n) : 0;
    const sample = n > 0 ? await queryJson(conn, `SELECT * FROM (${sql}) LIMIT 5`) : [];
    results.push({ model: model.name, test: testName(model.tests[i]), passed: n === 0, failures: n, sample });
  }
  return results;
}
