/**
 * Moving numeric columns between DuckDB and typed arrays a chunk (2,048 rows) at a time, without
 * a JS value per cell: the TypeScript models read a few columns of a big query and write their
 * results back into a temp table this way.
 *
 * Reading copies each DOUBLE vector's data buffer (`items`, a Float64Array over the vector's
 * memory) at once, and reads DECIMAL(38, s) vectors from their raw 128-bit integers: a per-cell
 * `getItem` costs a JS value per cell (and BigInt arithmetic for the validity bits), and DuckDB's
 * own DECIMAL(38, 16) → DOUBLE cast divides 128-bit integers in software (it was the most
 * expensive part of the indicators' input query). Writing fills each vector's buffer with
 * `set` and leaves NaN in it: SQL reading the table turns NaN into NULL (`nanToNull`).
 */
import { DOUBLE, DuckDBDataChunk, DuckDBDecimalType, DuckDBDoubleType, type DuckDBConnection, type DuckDBVector } from '@duckdb/node-api';

/** The parts of @duckdb/node-api's vectors read here (present at run time, private in its typings). */
interface DoubleVectorInternals {
  readonly items: Float64Array;
  readonly validity: { readonly data: BigUint64Array | null };
  flush(): void;
}
interface Decimal128VectorInternals {
  readonly dataView: DataView;
  readonly validity: { readonly data: BigUint64Array | null };
}

export class UnsupportedColumnTypeError extends Error {
  constructor(readonly column: string, readonly type: string) {
    super(`column ${column} has type ${type}: the columnar reader takes DOUBLE or DECIMAL(38, s) columns`);
    this.name = 'UnsupportedColumnTypeError';
  }
}

function doubleInternals(v: DuckDBVector): DoubleVectorInternals {
  const x = v as unknown as DoubleVectorInternals;
  if (!(x.items instanceof Float64Array)) throw new Error('@duckdb/node-api: a DOUBLE vector no longer exposes its items as a Float64Array');
  return x;
}

/** Sets out[at + i] = NaN for every row i the validity mask marks NULL. */
function nullsToNaN(mask: BigUint64Array | null, n: number, out: Float64Array, at: number): void {
  if (!mask) return;
  const words = new Uint32Array(mask.buffer, mask.byteOffset, Math.ceil(n / 32));
  for (let w = 0; w < words.length; w++) {
    if (words[w] === 0xffffffff) continue;
    for (let b = 0; b < 32 && w * 32 + b < n; b++) if ((words[w] & (1 << b)) === 0) out[at + w * 32 + b] = NaN;
  }
}

const TWO_32 = 2 ** 32;

/**
 * DECIMAL(38, scale) as doubles: the 128-bit integer from its four 32-bit words (little endian,
 * the top one signed), then divided by 10^scale: within a few units in the last place of the
 * exact value.
 */
function readDecimal128(view: DataView, n: number, scale: number, out: Float64Array, at: number): void {
  const div = 10 ** scale;
  for (let i = 0; i < n; i++) {
    const o = i * 16;
    const w0 = view.getUint32(o, true);
    const w1 = view.getUint32(o + 4, true);
    const w2 = view.getUint32(o + 8, true);
    const w3 = view.getInt32(o + 12, true);
    out[at + i] = (((w3 * TWO_32 + w2) * TWO_32 + w1) * TWO_32 + w0) / div;
  }
}

/** Runs `sql` and returns its columns (DOUBLE or DECIMAL(38, s)) as Float64Arrays (NULL → NaN). */
export async function readNumericColumns(conn: DuckDBConnection, sql: string): Promise<{ rows: number; columns: Float64Array[] }> {
  const result = await conn.run(sql);
  const width = result.columnCount;
  const rows = result.rowCount;
  const columns = Array.from({ length: width }, () => new Float64Array(rows));
  for (let c = 0; c < width; c++) {
    const type = result.columnType(c);
    if (!(type instanceof DuckDBDoubleType) && !(type instanceof DuckDBDecimalType && type.width > 18)) throw new UnsupportedColumnTypeError(result.columnName(c), type.toString());
  }
  let at = 0;
  for (let k = 0; k < result.chunkCount; k++) {
    const chunk = result.getChunk(k);
    const n = chunk.rowCount;
    for (let c = 0; c < width; c++) {
      const vector = chunk.getColumnVector(c);
      const type = result.columnType(c);
      if (type instanceof DuckDBDecimalType) {
        const v = vector as unknown as Decimal128VectorInternals;
        readDecimal128(v.dataView, n, type.scale, columns[c], at);
        nullsToNaN(v.validity.data, n, columns[c], at);
      } else {
        const v = doubleInternals(vector);
        columns[c].set(v.items.subarray(0, n), at);
        nullsToNaN(v.validity.data, n, columns[c], at);
      }
    }
    at += n;
  }
  return { rows, columns };
}

export interface WritableColumn {
  readonly name: string;
  /** NaN stays NaN in the table: read it through `nanToNull`. */
  readonly values: Float64Array;
}

/** Creates temp table `name` (DOUBLE columns) from equally long columns, a chunk at a time. */
export async function writeColumnsTable(conn: DuckDBConnection, name: string, columns: readonly WritableColumn[]): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${name} (${columns.map((c) => `"${c.name}" DOUBLE`).join(', ')})`);
  const rows = columns[0]?.values.length ?? 0;
  const appender = await conn.createAppender(name, 'main', 'temp');
  try {
    const size = 2048;
    for (let start = 0; start < rows; start += size) {
      const n = Math.min(size, rows - start);
      const chunk = DuckDBDataChunk.create(columns.map(() => DOUBLE), n);
      columns.forEach((c, ci) => {
        const v = doubleInternals(chunk.getColumnVector(ci));
        v.items.set(c.values.subarray(start, start + n));
        v.flush();
      });
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** SQL turning a DOUBLE column written with NaN for "no value" into NULL. */
export function nanToNull(column: string): string {
  return `CASE WHEN isnan(${column}) THEN NULL ELSE ${column} END`;
}
