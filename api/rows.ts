/**
 * DuckDB result rows → the API's JSON values: timestamps as ISO 8601 UTC (`...Z`), integers as
 * numbers when they fit a double exactly (else exact strings), DECIMAL as exact strings (as the
 * lake engine returns them), everything else as is.
 */
import type { QueryResult } from '../lake/index.ts';

export function jsonRows(result: QueryResult): Record<string, unknown>[] {
  const convert = result.columnTypes.map((t) => converterFor(t));
  return result.rows.map((row) => {
    const out: Record<string, unknown> = {};
    result.columns.forEach((col, i) => {
      const v = row[col];
      out[col] = v === null || v === undefined ? null : convert[i](v);
    });
    return out;
  });
}

function converterFor(type: string): (v: unknown) => unknown {
  if (/^TIMESTAMP/.test(type)) return (v) => isoOfDuckTimestamp(String(v));
  if (/^(BIGINT|HUGEINT|UBIGINT|UHUGEINT|INTEGER|SMALLINT|TINYINT|UINTEGER|USMALLINT|UTINYINT)$/.test(type)) {
    return (v) => {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : String(v);
    };
  }
  if (type === 'DOUBLE' || type === 'FLOAT') return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return (v) => v;
}

/** `2024-01-01 00:00:00.5` (the engine's UTC session) → `2024-01-01T00:00:00.500Z`. */
export function isoOfDuckTimestamp(s: string): string {
  const normal = s.replace(' ', 'T').replace(/([+-]00(:00)?)$/, '');
  const t = Date.parse(normal.endsWith('Z') ? normal : `${normal}Z`);
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}
