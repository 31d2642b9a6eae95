/**
 * Moving columns between DuckDB and typed arrays a chunk (2,048 rows) at a time, without a JS
 * value per cell: the TypeScript models read the columns of a big query and append their output
 * rows to a table this way.
 *
 * Both directions copy each vector's data buffer whole, in DuckDB's own layout (a DOUBLE is 8
 * bytes, a DECIMAL(18, s) an int64, a DECIMAL(38, s) an int128, a TIMESTAMPTZ int64 µs, a DATE
 * int32 days, a BOOLEAN or UTINYINT one byte): a per-cell `getItem` / `setItem` costs a JS value
 * per cell, and DuckDB's DECIMAL → DOUBLE casts cost more than reading the integers here
 * (`int64ToDouble`, `int128ToDouble`). Decimals therefore pass through a model bit for bit.
 * Writing reuses one data chunk for every batch: the vectors' views are made once, not per batch.
 */
import { DuckDBDataChunk, type DuckDBConnection, type DuckDBVarCharVector, type DuckDBVector } from '@duckdb/node-api';

/** The parts of @duckdb/node-api's vectors used here (present at run time, private in its typings). */
interface VectorInternals {
  /** Fixed-width vectors expose their data as a typed array (`items`) or a DataView (decimals, booleans). */
  readonly items?: ArrayBufferView;
  readonly dataView?: DataView;
  readonly validity: { data: BigUint64Array | null; setItemValid(index: number, valid: boolean): void; flush(vector: unknown): void };
  /** The native vector (what `flush` writes to). */
  readonly vector: unknown;
  flush(): void;
}

export class UnsupportedColumnTypeError extends Error {
  constructor(readonly column: string, readonly type: string) {
    super(`column ${column} has type ${type}: the columnar reader takes fixed-width columns without NULLs`);
    this.name = 'UnsupportedColumnTypeError';
  }
}

function internals(v: DuckDBVector): VectorInternals {
  return v as unknown as VectorInternals;
}

/** The bytes of a fixed-width vector's data (a view of the vector's memory). */
function dataBytes(v: DuckDBVector, column: string): Uint8Array {
  const x = internals(v);
  const view = x.items ?? x.dataView;
  if (!view) throw new UnsupportedColumnTypeError(column, String(v.type));
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

const FIXED_WIDTH_TYPES = /^(DOUBLE|DECIMAL\(\d+,\d+\)|BIGINT|INTEGER|SMALLINT|TINYINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|BOOLEAN|DATE|TIMESTAMP|TIMESTAMP WITH TIME ZONE)$/;

/** A column read whole: `bytes` holds `rows` values of `width` bytes each, in DuckDB's layout. */
export interface RawColumn {
  readonly name: string;
  /** DuckDB's name of the column's type (`DECIMAL(18,8)`, `TIMESTAMP WITH TIME ZONE`...). */
  readonly type: string;
  readonly width: number;
  readonly bytes: Uint8Array;
}

/**
 * Runs `sql` and returns every column's raw values. The columns must be fixed-width and hold no
 * NULL (a NULL's bytes are undefined): a column with one is refused.
 */
export async function readRawColumns(conn: DuckDBConnection, sql: string): Promise<{ rows: number; columns: RawColumn[] }> {
  const result = await conn.run(sql);
  const width = result.columnCount;
  const rows = result.rowCount;
  const chunks = Array.from({ length: result.chunkCount }, (_, k) => result.getChunk(k));
  const columns: RawColumn[] = [];
  for (let c = 0; c < width; c++) {
    const name = result.columnName(c);
    let bytes: Uint8Array | undefined;
    let w = 0;
    let at = 0;
    const type = result.columnType(c).toString();
    if (!FIXED_WIDTH_TYPES.test(type)) throw new UnsupportedColumnTypeError(name, type);
    for (const chunk of chunks) {
      const n = chunk.rowCount;
      if (n === 0) continue;
      const vector = chunk.getColumnVector(c);
      const validity = internals(vector).validity.data;
      if (validity) {
        const words = new Uint32Array(validity.buffer, validity.byteOffset, Math.ceil(n / 32));
        for (let i = 0; i < words.length; i++) {
          const bits = Math.min(32, n - i * 32);
          const full = bits === 32 ? 0xffffffff : 2 ** bits - 1;
          if (((words[i] & full) >>> 0) !== full >>> 0) throw new UnsupportedColumnTypeError(name, `${String(vector.type)} with NULLs`);
        }
      }
      const data = dataBytes(vector, name);
      if (!bytes) {
        w = data.byteLength / n;
        bytes = new Uint8Array(rows * w);
      }
      bytes.set(data.subarray(0, n * w), at * w);
      at += n;
    }
    columns.push({ name, type, width: w, bytes: bytes ?? new Uint8Array(0) });
  }
  return { rows, columns };
}

/** The column named `name` of a read, as a typed array of its layout. */
export function rawColumn(read: { columns: readonly RawColumn[] }, name: string): RawColumn {
  const c = read.columns.find((x) => x.name === name);
  if (!c) throw new Error(`columnar read: no column ${name}`);
  return c;
}

export function asInt32(c: RawColumn): Int32Array {
  return new Int32Array(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength / 4);
}

/** A DOUBLE, DECIMAL(p, s) or integer column as doubles (decimals within a few units in the last place). */
export function toDoubles(c: RawColumn): Float64Array {
  // An empty result has no vector to take a width from.
  if (c.bytes.byteLength === 0) return new Float64Array(0);
  if (c.type === 'DOUBLE') return new Float64Array(c.bytes.buffer.slice(c.bytes.byteOffset, c.bytes.byteOffset + c.bytes.byteLength));
  const scale = decimalScale(c.type);
  if (c.width === 16 && scale !== undefined) return int128ToDouble(c, scale);
  if (c.width === 8 && (scale !== undefined || c.type === 'BIGINT' || c.type.startsWith('TIMESTAMP'))) return int64ToDouble(c, scale ?? 0);
  throw new UnsupportedColumnTypeError(c.name, c.type);
}

/** The scale of a DuckDB `DECIMAL(p,s)` type name; undefined for any other type. */
export function decimalScale(type: string): number | undefined {
  const decimal = /^DECIMAL\(\d+,(\d+)\)$/.exec(type);
  return decimal ? Number(decimal[1]) : undefined;
}

/** An int64 column (BIGINT, TIMESTAMPTZ µs, DECIMAL(18, scale)) as doubles, divided by 10^scale. */
export function int64ToDouble(c: RawColumn, scale = 0): Float64Array {
  if (c.width !== 8) throw new Error(`column ${c.name} is ${c.width} bytes wide, not an int64`);
  const words = asInt32(c);
  const n = c.bytes.byteLength / 8;
  const out = new Float64Array(n);
  const div = 10 ** scale;
  for (let i = 0; i < n; i++) out[i] = (words[2 * i + 1] * TWO_32 + (words[2 * i] >>> 0)) / div;
  return out;
}

const TWO_32 = 2 ** 32;

/**
 * A DECIMAL(38, scale) column as doubles: the 128-bit integer from its four 32-bit words (little
 * endian, the top one signed), divided by 10^scale: within a few units in the last place of the
 * exact value.
 */
export function int128ToDouble(c: RawColumn, scale: number): Float64Array {
  if (c.width !== 16) throw new Error(`column ${c.name} is ${c.width} bytes wide, not an int128`);
  const words = asInt32(c);
  const n = c.bytes.byteLength / 16;
  const out = new Float64Array(n);
  const div = 10 ** scale;
  for (let i = 0; i < n; i++) out[i] = int128WordsToDouble(words, 4 * i, div);
  return out;
}

/** An exact 128-bit decimal as a double: by `int128ToDouble`'s own arithmetic, so both agree bit for bit. */
export function bigintToDouble(value: bigint, scale: number): number {
  const words = new Int32Array(4);
  setInt128(new Uint8Array(words.buffer), 0, value);
  return int128WordsToDouble(words, 0, 10 ** scale);
}

/** The int128 in words[o..o+3] (little endian, the top word signed) divided by `div`. */
function int128WordsToDouble(words: Int32Array, o: number, div: number): number {
  return (((words[o + 3] * TWO_32 + (words[o + 2] >>> 0)) * TWO_32 + (words[o + 1] >>> 0)) * TWO_32 + (words[o] >>> 0)) / div;
}

/** The int128 at row `i` of a raw 16-byte column, exactly. */
export function int128At(c: RawColumn, i: number): bigint {
  const v = new DataView(c.bytes.buffer, c.bytes.byteOffset + 16 * i, 16);
  return (v.getBigInt64(8, true) << 64n) | v.getBigUint64(0, true);
}

/** Writes `value` as row `i` of a 16-byte raw buffer. */
export function setInt128(bytes: Uint8Array, i: number, value: bigint): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset + 16 * i, 16);
  v.setBigUint64(0, BigInt.asUintN(64, value), true);
  v.setBigInt64(8, BigInt.asIntN(64, value >> 64n), true);
}

/**
 * A column to append: `double` values (NaN is written as NULL), `raw` fixed-width values in
 * the layout of the table column's type (never NULL), or `sparseVarchar`: a VARCHAR column that
 * is NULL but in the few rows the map holds (row → value), set a cell at a time.
 */
export type AppendColumn =
  | { readonly kind: 'double'; readonly values: Float64Array }
  | { readonly kind: 'raw'; readonly bytes: Uint8Array }
  | { readonly kind: 'sparseVarchar'; readonly values: ReadonlyMap<number, string> };

const BATCH = 2048;
const YIELD_EVERY_MS = 10;

/**
 * Appends equally long columns to `table` (the default schema), in the table's column order:
 * rows 0..rows-1, or only the row ranges [from, to) of `ranges`, in their order.
 */
export async function appendColumns(conn: DuckDBConnection, table: string, columns: readonly AppendColumn[], rows: number, ranges: readonly (readonly [number, number])[] = [[0, rows]]): Promise<void> {
  const appender = await conn.createAppender(table);
  try {
    if (appender.columnCount !== columns.length) throw new Error(`appendColumns: ${table} has ${appender.columnCount} columns, got ${columns.length}`);
    const types = columns.map((_, i) => appender.columnType(i));
    const widths = columns.map((c) => (c.kind === 'double' ? 8 : c.kind === 'raw' ? c.bytes.byteLength / Math.max(rows, 1) : 0));
    const sparseRows = columns.map((c) => (c.kind === 'sparseVarchar' ? [...c.values.keys()].sort((a, b) => a - b) : []));
    let chunk: DuckDBDataChunk | undefined;
    let yielded = performance.now();
    for (const [from, to] of ranges) for (let start = from; start < to; start += BATCH) {
      const n = Math.min(BATCH, to - start);
      if (!chunk || chunk.rowCount !== n) chunk = DuckDBDataChunk.create(types, n);
      for (let ci = 0; ci < columns.length; ci++) {
        const column = columns[ci];
        const vector = chunk.getColumnVector(ci);
        if (column.kind === 'sparseVarchar') {
          const v = internals(vector);
          if (!v.validity.data) v.validity.setItemValid(0, false);
          v.validity.data!.fill(0n);
          const rowsOf = sparseRows[ci];
          let k = firstAtLeast(rowsOf, start);
          if (k < rowsOf.length && rowsOf[k] < start + n) {
            for (; k < rowsOf.length && rowsOf[k] < start + n; k++) (vector as DuckDBVarCharVector).setItem(rowsOf[k] - start, column.values.get(rowsOf[k])!);
            v.flush();
          } else {
            // A batch of NULLs alone (most of them: a value a series and day): the mask only, not
            // a look at each of its cells (~20 ms of a full build's indicators).
            v.validity.flush(v.vector);
          }
          continue;
        }
        const target = dataBytes(vector, String(ci));
        const w = widths[ci];
        if (target.byteLength !== n * w) throw new Error(`appendColumns: column ${ci} of ${table} is ${target.byteLength / n} bytes a value, given ${w}`);
        if (column.kind === 'raw') target.set(column.bytes.subarray(start * w, (start + n) * w));
        else {
          target.set(new Uint8Array(column.values.buffer, column.values.byteOffset + start * 8, n * 8));
          writeNaNsAsNulls(internals(vector), column.values, start, n);
        }
        internals(vector).flush();
      }
      appender.appendDataChunk(chunk);
      // A long append (a full build's indicators: ~0.4 s) holds Node's thread; the runner's other
      // lanes issue their next statements where it yields.
      if (performance.now() - yielded > YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        yielded = performance.now();
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** The index of the first of the ascending `rows` that is at least `row` (rows.length if none). */
function firstAtLeast(rows: readonly number[], row: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid] < row) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Marks rows start..start+n-1 whose value is NaN invalid (NULL) in the vector's validity mask. */
function writeNaNsAsNulls(v: VectorInternals, values: Float64Array, start: number, n: number): void {
  let first = -1;
  for (let i = 0; i < n; i++) {
    const x = values[start + i];
    if (x !== x) {
      first = i;
      break;
    }
  }
  // The chunk is reused: a mask left from the previous batch must be cleared.
  if (first < 0) {
    v.validity.data?.fill(0xffffffffffffffffn);
    return;
  }
  if (!v.validity.data) v.validity.setItemValid(first, false);
  const words = new Uint32Array(v.validity.data!.buffer, v.validity.data!.byteOffset, v.validity.data!.byteLength / 4);
  words.fill(0xffffffff);
  for (let i = first; i < n; i++) {
    const x = values[start + i];
    if (x !== x) words[i >>> 5] &= ~(1 << (i & 31));
  }
}
