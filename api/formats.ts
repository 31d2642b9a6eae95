/**
 * Tabular answers in the format the client asks for: JSON (default), CSV (RFC 4180) or Arrow IPC
 * stream, chosen by `?format=` or else by the Accept header. Decimal strings stay strings in every
 * format (Arrow Utf8), so no format loses digits.
 */
import type { Context } from 'hono';
import { Bool, Float64, Table, Utf8, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';
import { z } from '@hono/zod-openapi';
import { csvField } from '../lake/index.ts';
import { BadRequestProblem } from './problem.ts';

export const FORMATS = ['json', 'csv', 'arrow'] as const;
export type Format = (typeof FORMATS)[number];
export const CSV_TYPE = 'text/csv; charset=utf-8';
export const ARROW_TYPE = 'application/vnd.apache.arrow.stream';

/** `?format=` wins over Accept; an unknown `?format=` is a 400 naming it. */
export function negotiateFormat(c: Context): Format {
  const q = c.req.query('format');
  if (q !== undefined) {
    if ((FORMATS as readonly string[]).includes(q)) return q as Format;
    throw new BadRequestProblem('format', `format must be one of ${FORMATS.join(', ')}`);
  }
  const accept = c.req.header('accept') ?? '';
  // The first listed of our types wins (clients list their preference first).
  const candidates: [Format, number][] = [
    ['json', indexOrInf(accept, 'application/json')],
    ['csv', indexOrInf(accept, 'text/csv')],
    ['arrow', Math.min(indexOrInf(accept, 'application/vnd.apache.arrow.stream'), indexOrInf(accept, 'application/vnd.apache.arrow.file'))],
  ];
  const best = candidates.sort((a, b) => a[1] - b[1])[0];
  return Number.isFinite(best[1]) ? best[0] : 'json';
}

function indexOrInf(haystack: string, needle: string): number {
  const i = haystack.indexOf(needle);
  return i < 0 ? Infinity : i;
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return `${[columns.map(csvField).join(','), ...rows.map((r) => columns.map((c) => csvField(r[c])).join(','))].join('\r\n')}\r\n`;
}

export function toArrowIpc(columns: readonly string[], rows: readonly Record<string, unknown>[]): Uint8Array {
  const vectors: Record<string, Vector> = {};
  for (const c of columns) {
    const values = rows.map((r) => r[c]);
    const sample = values.find((v) => v !== null && v !== undefined);
    if (typeof sample === 'number') vectors[c] = vectorFromArray(values.map((v) => (v === undefined ? null : (v as number | null))), new Float64());
    else if (typeof sample === 'boolean') vectors[c] = vectorFromArray(values.map((v) => (v === undefined ? null : (v as boolean | null))), new Bool());
    else vectors[c] = vectorFromArray(values.map((v) => (v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : String(v))), new Utf8());
  }
  return tableToIPC(new Table(vectors), 'stream');
}

/**
 * Answers rows as CSV or Arrow when asked, else the JSON document `json` (which usually wraps the
 * rows with paging or metadata).
 */
export function tabular(c: Context, format: Format, columns: readonly string[], rows: readonly Record<string, unknown>[], json: unknown, status = 200): never {
  // (`never`: the route's declared responses type the JSON body; the other formats are documented beside it.)
  if (format === 'csv') return c.body(toCsv(columns, rows), status as 200, { 'content-type': CSV_TYPE }) as never;
  if (format === 'arrow') return c.body(toArrowIpc(columns, rows) as Uint8Array<ArrayBuffer>, status as 200, { 'content-type': ARROW_TYPE }) as never;
  return c.json(json as object, status as 200) as never;
}

/** The `content` entries of a tabular response in the OpenAPI document. */
export function tabularContent<S extends z.ZodType>(schema: S) {
  return {
    'application/json': { schema },
    'text/csv': { schema: z.string().openapi({ description: 'RFC 4180 CSV with a header row' }) },
    [ARROW_TYPE]: { schema: z.string().openapi({ format: 'binary', description: 'Arrow IPC stream' }) },
  } as const;
}
