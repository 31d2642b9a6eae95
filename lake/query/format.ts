/** Renders query results for the terminal: an aligned table, CSV (RFC 4180) or JSON. */
import type { QueryResult } from './engine.ts';

export type OutputFormat = 'table' | 'csv' | 'json';

export function formatResult(result: QueryResult, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(result.rows, null, 2);
    case 'csv':
      return [result.columns.map(csvField).join(','), ...result.rows.map((r) => result.columns.map((c) => csvField(r[c])).join(','))].join('\n');
    case 'table':
      return formatTable(result);
  }
}

function text(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** One RFC 4180 CSV field: quoted when it holds a quote, comma or line break; objects as JSON; null empty. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

function formatTable(result: QueryResult): string {
  const cells = result.rows.map((r) => result.columns.map((c) => text(r[c])));
  // A loop, not Math.max(...column): spreading 100k+ rows as arguments overflows the stack.
  const widths = result.columns.map((c, i) => cells.reduce((w, row) => Math.max(w, row[i].length), Math.max(c.length, result.columnTypes[i]?.length ?? 0)));
  const right = result.columnTypes.map((t) => NUMERIC.test(t));
  const line = (values: string[]) => `│ ${values.map((v, i) => (right[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join(' │ ')} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  const out = [rule('┌', '┬', '┐'), line(result.columns), line(result.columnTypes.map((t) => t.toLowerCase())), rule('├', '┼', '┤'), ...cells.map(line), rule('└', '┴', '┘')];
  out.push(`${result.rows.length} row${result.rows.length === 1 ? '' : 's'}`);
  return out.join('\n');
}
