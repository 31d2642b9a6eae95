/**
 * Column definitions of a lake table and their three spellings: the Delta schema JSON
 * (`metaData.schemaString`), DuckDB SQL types, and the staging types rows are appended as.
 *
 * Supported primitive types (enough for market data; Delta spellings):
 * `string`, `long`, `integer`, `double`, `boolean`, `date`, `timestamp` (UTC, µs),
 * `decimal(p,s)` (exact, p <= 38).
 */

export type LakeType = 'string' | 'long' | 'integer' | 'double' | 'boolean' | 'date' | 'timestamp' | `decimal(${number},${number})`;

export interface LakeColumn {
  readonly name: string;
  readonly type: LakeType;
  /** Defaults to true. A non-nullable column rejects rows that lack it. */
  readonly nullable?: boolean;
  /**
   * A DuckDB SQL expression over the other (typed) columns that computes this one at write time,
   * e.g. `CAST(trade_time AS DATE)` for a `date` partition column; rows do not carry it.
   */
  readonly derivedFrom?: string;
  readonly comment?: string;
}

interface DeltaField {
  name: string;
  type: string | Record<string, unknown>;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

const DECIMAL_RE = /^decimal\((\d+),\s*(\d+)\)$/;
const PRIMITIVES = new Set(['string', 'long', 'integer', 'double', 'boolean', 'date', 'timestamp']);

export function decimalPrecisionScale(type: LakeType): { precision: number; scale: number } | undefined {
  const m = DECIMAL_RE.exec(type);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

export function validateColumns(columns: readonly LakeColumn[]): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (!/^[a-z_][a-z0-9_]*$/.test(c.name)) throw new Error(`column name ${JSON.stringify(c.name)}: use lower-case letters, digits and _`);
    if (seen.has(c.name)) throw new Error(`column ${c.name} defined twice`);
    seen.add(c.name);
    const d = decimalPrecisionScale(c.type);
    if (d) {
      if (d.precision < 1 || d.precision > 38 || d.scale > d.precision) throw new Error(`column ${c.name}: invalid ${c.type}`);
    } else if (!PRIMITIVES.has(c.type)) {
      throw new Error(`column ${c.name}: unsupported type ${c.type}`);
    }
  }
}

/** Delta schema JSON for `metaData.schemaString`. `derivedFrom` is kept in the field metadata. */
export function toDeltaSchemaString(columns: readonly LakeColumn[]): string {
  const fields: DeltaField[] = columns.map((c) => {
    const metadata: Record<string, unknown> = {};
    if (c.derivedFrom) metadata['marketlake.derivedFrom'] = c.derivedFrom;
    if (c.comment) metadata.comment = c.comment;
    return { name: c.name, type: c.type, nullable: c.nullable ?? true, metadata };
  });
  return JSON.stringify({ type: 'struct', fields });
}

/** Reads a Delta schema back; also accepts tables written by other engines (delta-rs, Spark). */
export function fromDeltaSchemaString(schemaString: string): LakeColumn[] {
  const schema = JSON.parse(schemaString) as { type: string; fields: DeltaField[] };
  if (schema.type !== 'struct') throw new Error('Delta schema: expected a struct');
  return schema.fields.map((f) => {
    if (typeof f.type !== 'string') throw new Error(`column ${f.name}: nested type ${JSON.stringify(f.type)} is not supported`);
    let type = f.type.replace(/\s+/g, '');
    // Other engines use a few more primitive names; map them onto ours.
    if (type === 'short' || type === 'byte') type = 'integer';
    if (type === 'float') type = 'double';
    if (type === 'timestamp_ntz') type = 'timestamp';
    if (!PRIMITIVES.has(type) && !DECIMAL_RE.test(type)) throw new Error(`column ${f.name}: unsupported Delta type ${f.type}`);
    const derived = f.metadata?.['marketlake.derivedFrom'];
    const comment = f.metadata?.comment;
    return {
      name: f.name,
      type: type as LakeType,
      nullable: f.nullable,
      ...(typeof derived === 'string' ? { derivedFrom: derived } : {}),
      ...(typeof comment === 'string' ? { comment } : {}),
    };
  });
}

/** The DuckDB type a column is stored and read as. Timestamps are UTC instants (TIMESTAMPTZ). */
export function duckdbType(type: LakeType): string {
  const d = decimalPrecisionScale(type);
  if (d) return `DECIMAL(${d.precision},${d.scale})`;
  switch (type) {
    case 'string':
      return 'VARCHAR';
    case 'long':
      return 'BIGINT';
    case 'integer':
      return 'INTEGER';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMPTZ';
  }
  throw new Error(`unsupported type ${type}`);
}
