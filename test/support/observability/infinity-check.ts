/**
 * What the Infinity plugin does with one of our queries, done by hand: fill the dashboard
 * variables into the URL, fetch it from the API with the provisioned key, take the rows at the
 * root selector, and check each mapped column is there with values Infinity can read as the type
 * the panel declares (numbers also as decimal strings, timestamps as ISO strings or epoch ms).
 */
import type { InfinityColumn, InfinityQuery } from '../../../grafana/infinity.ts';

export function resolveUrl(query: InfinityQuery, base: string, vars: Readonly<Record<string, string>>): string {
  const path = query.url.replace(/\$\{(\w+)\}/g, (m, name: string) => {
    if (!(name in vars)) throw new Error(`${query.url}: no value for $\{${name}}`);
    return encodeURIComponent(vars[name]);
  });
  return `${base}${path}`;
}

export function rowsAt(body: unknown, root: string): unknown[] | undefined {
  let node = body;
  for (const key of root.split('.').filter(Boolean)) node = (node as Record<string, unknown> | null)?.[key];
  return Array.isArray(node) ? node : undefined;
}

const DECIMAL = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

function readable(value: unknown, type: InfinityColumn['type']): boolean {
  switch (type) {
    case 'number':
      return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && DECIMAL.test(value));
    case 'timestamp':
      return (typeof value === 'string' && !Number.isNaN(Date.parse(value))) || (typeof value === 'number' && Number.isFinite(value));
    case 'timestamp_epoch':
    case 'timestamp_epoch_s':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return ['string', 'number', 'boolean'].includes(typeof value);
  }
}

/** Problems with the rows for the query's columns; empty when every column is readable as mapped. */
export function columnProblems(rows: readonly unknown[], columns: readonly InfinityColumn[]): string[] {
  const problems: string[] = [];
  if (rows.length === 0) return ['no rows'];
  for (const c of columns) {
    const values = rows.map((r) => (r as Record<string, unknown>)[c.selector]);
    if (!rows.some((r) => typeof r === 'object' && r !== null && c.selector in r)) {
      problems.push(`${c.selector}: missing`);
      continue;
    }
    const present = values.filter((v) => v !== null && v !== undefined);
    if (present.length === 0) problems.push(`${c.selector}: null in every row`);
    const bad = present.find((v) => !readable(v, c.type));
    if (bad !== undefined) problems.push(`${c.selector}: ${JSON.stringify(bad)} is not a ${c.type}`);
  }
  return problems;
}
