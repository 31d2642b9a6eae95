/**
 * The guard in front of the user-facing SQL surface (`marketlake sql`, the API): exactly one
 * read-only statement. DuckDB's own parser decides, through `json_serialize_sql`, which only
 * serialises SELECT statements (so COPY, ATTACH, INSTALL, SET, CREATE, ... are refused), and the
 * prepared statement's type is checked again. Together with `enable_external_access = false`,
 * `allowed_directories = [lake]` and `lock_configuration = true` (see engine.ts), a query can read
 * the lake and nothing else, and write nothing.
 */
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';

export class ReadOnlyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReadOnlyViolation';
  }
}

/** Parses `sql` with DuckDB's parser; throws ReadOnlyViolation unless it is exactly one SELECT. Returns the syntax tree. */
export async function parseSingleSelect(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>> {
  const reader = await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [sql]);
  const parsed = JSON.parse(String(reader.getRowsJson()[0][0])) as { error: boolean; error_message?: string; statements?: unknown[] };
  if (parsed.error) {
    const msg = parsed.error_message ?? 'not a SELECT statement';
    throw new ReadOnlyViolation(/Only SELECT/i.test(msg) ? 'only a single read-only SELECT statement is allowed (the lake is read-only here)' : msg);
  }
  if ((parsed.statements?.length ?? 0) !== 1) throw new ReadOnlyViolation(`exactly one statement is allowed, got ${parsed.statements?.length ?? 0}`);
  return parsed as unknown as Record<string, unknown>;
}

/**
 * A second, independent check on the statement actually run: its prepared type must be SELECT.
 * Returns the prepared statement so that the caller runs exactly what was checked (and binds once).
 */
export async function prepareSelect(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const prepared = await conn.prepare(sql);
  if (prepared.statementType !== StatementType.SELECT) {
    prepared.destroySync();
    throw new ReadOnlyViolation('only a SELECT statement is allowed');
  }
  return prepared;
}

export async function assertSelectStatement(conn: DuckDBConnection, sql: string): Promise<void> {
  (await prepareSelect(conn, sql)).destroySync();
}

/** Both checks. */
export async function assertSingleSelect(conn: DuckDBConnection, sql: string): Promise<void> {
  await parseSingleSelect(conn, sql);
  await assertSelectStatement(conn, sql);
}
