/**
 * Moving numeric columns between DuckDB and typed arrays a chunk (2,048 rows) at a time, without
 * a JS value per cell: the TypeScript models read a few columns of a big query and write their
 * results back into a temp table this way.
 */
import { BOOLEAN, DOUBLE, INTEGER, DuckDBDataChunk, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';

interface ItemVector {
  getItem(i: number): number | boolean | null;
  setItem(i: number, v: number | boolean | null): void;
  flush(): void;
}

/** Runs `sql` and returns its columns (all numeric) as Float64Arrays (NULL → NaN). */
export async function readNumericColumns(conn: DuckDBConnection, sql: string): Promise<{ rows: number; columns: Float64Array[] }> {
  const result = await conn.run(sql);
  const width = result.columnCount;
  const parts: Float64Array[][] = Array.from({ length: width }, () => []);
  let rows = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    for (let c = 0; c < width; c++) {
      const v = chunk.getColumnVector(c) as unknown as ItemVector;
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const x = v.getItem(i);
        out[i] = x === null ? NaN : Number(x);
      }
      parts[c].push(out);
    }
    rows += n;
  }
  const columns = parts.map((ps) => {
    const all = new Float64Array(rows);
    let at = 0;
    for (const p of ps) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  });
  return { rows, columns };
}

export type WritableColumn = { readonly name: string } & (
  | { readonly type: 'double'; readonly values: Float64Array }
  | { readonly type: 'integer'; readonly values: Int32Array }
  | { readonly type: 'boolean'; readonly values: Uint8Array }
);

/** Creates temp table `name` from equally long columns (NaN doubles become NULL). */
export async function writeColumnsTable(conn: DuckDBConnection, name: string, columns: readonly WritableColumn[]): Promise<void> {
  const sqlType = { double: 'DOUBLE', integer: 'INTEGER', boolean: 'BOOLEAN' } as const;
  const duckType: Record<WritableColumn['type'], DuckDBType> = { double: DOUBLE, integer: INTEGER, boolean: BOOLEAN };
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${name} (${columns.map((c) => `"${c.name}" ${sqlType[c.type]}`).join(', ')})`);
  const rows = columns[0]?.values.length ?? 0;
  const appender = await conn.createAppender(name, 'main', 'temp');
  try {
    const size = 2048;
    for (let start = 0; start < rows; start += size) {
      const n = Math.min(size, rows - start);
      const chunk = DuckDBDataChunk.create(columns.map((c) => duckType[c.type]), n);
      columns.forEach((c, ci) => {
        const v = chunk.getColumnVector(ci) as unknown as ItemVector;
        if (c.type === 'double') {
          for (let i = 0; i < n; i++) {
            const x = c.values[start + i];
            v.setItem(i, Number.isNaN(x) ? null : x);
          }
        } else if (c.type === 'boolean') {
          for (let i = 0; i < n; i++) v.setItem(i, c.values[start + i] === 1);
        } else {
          for (let i = 0; i < n; i++) v.setItem(i, c.values[start + i]);
        }
        v.flush();
      });
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
