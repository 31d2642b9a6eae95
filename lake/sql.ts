/**
 * Quoting for SQL text built from values (DuckDB, standard SQL rules): the one helper every folder
 * uses (exported by lake/index.ts), so that a name or value with a quote in it can never end a
 * string early.
 */

/** Quotes an SQL identifier: `a"b` → `"a""b"`. */
export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes an SQL string literal: `it's` → `'it''s'`. */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
