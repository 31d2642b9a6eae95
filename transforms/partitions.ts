/**
 * Sets of table partitions (`{ symbol: 'BTCUSDT', date: '2024-03-01' }`, or a subset of the
 * partition columns meaning every partition that matches) and the SQL that selects them.
 */
import { sqlLiteral } from '../lake/index.ts';

export type Partition = Readonly<Record<string, string>>;
/** 'all': every partition (a full build); otherwise the listed ones. */
export type PartitionSet = 'all' | readonly Partition[];

export function partitionKey(p: Partition): string {
  return JSON.stringify(Object.keys(p).sort().map((k) => [k, p[k]]));
}

export function dedupePartitions(list: Iterable<Partition>): Partition[] {
  const seen = new Map<string, Partition>();
  for (const p of list) seen.set(partitionKey(p), p);
  return [...seen.values()].sort((a, b) => partitionKey(a).localeCompare(partitionKey(b)));
}

export function unionPartitions(a: PartitionSet, b: PartitionSet): PartitionSet {
  if (a === 'all' || b === 'all') return 'all';
  return dedupePartitions([...a, ...b]);
}

/** `YYYY-MM-DD` plus `days` (may be negative). */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Every date from `from` to `to`, both inclusive. */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

function columnSql(column: string, alias?: string): string {
  const c = `"${column}"`;
  return alias ? `${alias}.${c}` : c;
}

/** A predicate true exactly for rows in the set (columns compared as text). */
export function partitionFilterSql(set: PartitionSet, alias?: string): string {
  if (set === 'all') return 'TRUE';
  if (set.length === 0) return 'FALSE';
  const byShape = new Map<string, Partition[]>();
  for (const p of set) {
    const shape = Object.keys(p).sort().join(',');
    byShape.set(shape, [...(byShape.get(shape) ?? []), p]);
  }
  const terms: string[] = [];
  for (const [shape, parts] of byShape) {
    if (shape === '') return 'TRUE';
    const cols = shape.split(',');
    const key = `concat_ws('|', ${cols.map((c) => `CAST(${columnSql(c, alias)} AS VARCHAR)`).join(', ')})`;
    terms.push(`${key} IN (${parts.map((p) => sqlLiteral(cols.map((c) => p[c]).join('|'))).join(', ')})`);
  }
  return terms.length === 1 ? terms[0] : `(${terms.join(' OR ')})`;
}

/**
 * A cheap superset filter over an input for computing `set` with `lookbackDays` of history:
 * `symbol IN (...)` and a date range, constant filters that prune files before any is read.
 */
export function inputRangeSql(set: PartitionSet, lookbackDays: number, alias?: string, options: { dateColumn?: string; symbolColumn?: string | null } = {}): string {
  if (set === 'all') return 'TRUE';
  if (set.length === 0) return 'FALSE';
  const dateCol = options.dateColumn ?? 'date';
  const symbolCol = options.symbolColumn === undefined ? 'symbol' : options.symbolColumn;
  const terms: string[] = [];
  const dates = set.map((p) => p.date).filter((d): d is string => d !== undefined);
  if (dates.length === set.length && dates.length > 0) {
    const lo = addDays(dates.reduce((a, b) => (a < b ? a : b)), -lookbackDays);
    const hi = dates.reduce((a, b) => (a > b ? a : b));
    terms.push(`${columnSql(dateCol, alias)} BETWEEN DATE ${sqlLiteral(lo)} AND DATE ${sqlLiteral(hi)}`);
  }
  const symbols = set.map((p) => p.symbol).filter((s): s is string => s !== undefined);
  if (symbolCol && symbols.length === set.length && symbols.length > 0) {
    terms.push(`${columnSql(symbolCol, alias)} IN (${[...new Set(symbols)].map(sqlLiteral).join(', ')})`);
  }
  return terms.length ? terms.join(' AND ') : 'TRUE';
}
