/**
 * schema: every lake table that has a contract (the bronze and silver tables of lake/tables, the
 * quality tables, any contract a caller adds) matches it, in its Delta log (column names, types
 * including decimal precision and scale, nullability, partition columns) and in its data files
 * (each Parquet file's physical column types, so a writer that wrote DECIMAL(18,2) into a
 * DECIMAL(18,8) table is caught even when the log is right). Files may lack columns added to the
 * table after they were written (the views read them as NULL); they may not carry others.
 */
import path from 'node:path';
import { z } from 'zod';
import type { LakeColumn } from '../../lake/index.ts';
import { defineCheck, type CheckContext } from './check.ts';
import { queryFailingRows, sqlString } from './sql.ts';

type Mismatch = { table: string; file: string | null; column: string; problem: string; expected: string | null; actual: string | null };

/** The lake type a Parquet leaf column physically holds, from parquet_schema()'s columns. */
const PHYSICAL_TYPE_SQL = `CASE
    WHEN converted_type = 'DECIMAL' THEN 'decimal(' || precision || ',' || scale || ')'
    WHEN type = 'BYTE_ARRAY' THEN 'string'
    WHEN type = 'INT64' AND (converted_type LIKE 'TIMESTAMP%' OR logical_type LIKE 'TimestampType%') THEN 'timestamp'
    WHEN type = 'INT64' THEN 'long'
    WHEN type = 'INT32' AND converted_type = 'DATE' THEN 'date'
    WHEN type = 'INT32' THEN 'integer'
    WHEN type = 'DOUBLE' THEN 'double'
    WHEN type = 'BOOLEAN' THEN 'boolean'
    ELSE type END`;

function logMismatches(table: string, actual: readonly LakeColumn[], actualPartitions: readonly string[], contract: readonly LakeColumn[], contractPartitions: readonly string[]): Mismatch[] {
  const out: Mismatch[] = [];
  const byName = new Map(actual.map((c) => [c.name, c]));
  for (const c of contract) {
    const a = byName.get(c.name);
    if (!a) out.push({ table, file: null, column: c.name, problem: 'missing column', expected: c.type, actual: null });
    else {
      if (a.type !== c.type) out.push({ table, file: null, column: c.name, problem: 'type', expected: c.type, actual: a.type });
      if ((a.nullable ?? true) !== (c.nullable ?? true)) out.push({ table, file: null, column: c.name, problem: 'nullability', expected: (c.nullable ?? true) ? 'nullable' : 'not null', actual: (a.nullable ?? true) ? 'nullable' : 'not null' });
    }
  }
  const expected = new Set(contract.map((c) => c.name));
  for (const a of actual) if (!expected.has(a.name)) out.push({ table, file: null, column: a.name, problem: 'unexpected column', expected: null, actual: a.type });
  if (actualPartitions.join(',') !== contractPartitions.join(',')) {
    out.push({ table, file: null, column: '(partitioning)', problem: 'partition columns', expected: contractPartitions.join(','), actual: actualPartitions.join(',') });
  }
  return out;
}

/** SQL listing each file's physical columns that disagree with the contract. */
function fileMismatchesSql(table: string, tableDir: string, files: readonly string[], contract: readonly LakeColumn[], partitions: readonly string[]): string {
  const expected = contract.filter((c) => !partitions.includes(c.name)).map((c) => `(${sqlString(c.name)}, ${sqlString(c.type)})`);
  const paths = files.map((f) => sqlString(path.join(tableDir, decodeURIComponent(f))));
  return `WITH leaf AS (
      SELECT file_name, name, ${PHYSICAL_TYPE_SQL} AS physical FROM parquet_schema([${paths.join(', ')}]) WHERE coalesce(num_children, 0) = 0
    ), contract(name, expected) AS (VALUES ${expected.join(', ')})
    SELECT ${sqlString(table)} AS "table", file_name AS file, leaf.name AS "column",
      CASE WHEN contract.expected IS NULL THEN 'unexpected column in file' ELSE 'file type' END AS problem,
      contract.expected, leaf.physical AS actual
    FROM leaf LEFT JOIN contract USING (name)
    WHERE contract.expected IS NULL OR contract.expected <> leaf.physical`;
}

export const schemaCheck = defineCheck({
  name: 'schema',
  table: '*',
  description: "Every lake table with a contract has the contract's columns, types (decimal precision and scale too), nullability and partitioning, in its log and in every data file.",
  severity: 'error',
  blocking: true,
  thresholds: z
    .object({
      /** Also read every data file's footer (physical types). */
      checkFiles: z.boolean().default(true),
    })
    .strict(),
  async run(ctx: CheckContext, t) {
    const lake = ctx.engine.lake;
    const found: Mismatch[] = [];
    const fileQueries: string[] = [];
    for (const name of await lake.listTables()) {
      const contract = ctx.contracts[name];
      if (!contract) continue;
      const table = await lake.table(name);
      const snap = await table.refresh();
      found.push(...logMismatches(name, snap.columns, snap.partitionColumns, contract.columns, contract.partitionColumns ?? []));
      const files = [...snap.files.values()].map((f) => f.path);
      if (t.checkFiles && files.length > 0) fileQueries.push(fileMismatchesSql(name, table.dir, files, contract.columns, contract.partitionColumns ?? []));
    }
    const logRows = found.map((m) => `(${[m.table, m.file, m.column, m.problem, m.expected, m.actual].map((v) => (v === null ? 'NULL::VARCHAR' : sqlString(v))).join(', ')})`);
    const parts = [
      ...(logRows.length > 0 ? [`SELECT * FROM (VALUES ${logRows.join(', ')}) AS log("table", file, "column", problem, expected, actual)`] : []),
      ...fileQueries.map((q) => `SELECT * FROM (${q})`),
    ];
    if (parts.length === 0) return { observed: 0, threshold: 0, failingRows: 0, samples: [] };
    const { failingRows, samples } = await queryFailingRows(ctx, parts.join(' UNION ALL '), '"table", file NULLS FIRST, "column"');
    return { observed: failingRows, threshold: 0, failingRows, samples };
  },
});
