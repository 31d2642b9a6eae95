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

/** Counts every test's failing rows in one query (one round trip, not one a test); samples the failures. */
export async function runModelTests(conn: DuckDBConnection, model: Model, relation: string): Promise<TestResult[]> {
  if (model.tests.length === 0) return [];
  const sqls = model.tests.map((t) => testSql(t, relation));
  const [counts] = (await queryJson(conn, `SELECT ${sqls.map((sql, i) => `(SELECT count(*) FROM (${sql}))::INTEGER AS t${i}`).join(', ')}`)) as Record<string, number>[];
  const results: TestResult[] = [];
  for (let i = 0; i < sqls.length; i++) {
    const n = counts[`t${i}`];
    const sample = n > 0 ? await queryJson(conn, `SELECT * FROM (${sqls[i]}) LIMIT 5`) : [];
    results.push({ model: model.name, test: testName(model.tests[i]), passed: n === 0, failures: n, sample });
  }
  return results;
}
