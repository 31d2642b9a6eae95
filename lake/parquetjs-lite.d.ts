/** Minimal types for parquetjs-lite (it ships none): only what the lake's tests and benchmarks use. */
declare module 'parquetjs-lite' {
  export class ParquetSchema {
    constructor(schema: Record<string, { type: string; optional?: boolean; compression?: string; encoding?: string }>);
  }
  export class ParquetWriter {
    static openFile(schema: ParquetSchema, path: string, options?: Record<string, unknown>): Promise<ParquetWriter>;
    appendRow(row: Record<string, unknown>): Promise<void>;
    close(): Promise<void>;
  }
  export interface ParquetCursor {
    next(): Promise<Record<string, unknown> | null>;
  }
  export class ParquetReader {
    static openFile(path: string): Promise<ParquetReader>;
    getCursor(columns?: string[]): ParquetCursor;
    getRowCount(): number;
    close(): Promise<void>;
  }
  export interface SchemaElement {
    name: string;
    type?: number;
    converted_type?: number;
    precision?: number;
    scale?: number;
  }
  export class ParquetEnvelopeReader {
    static openFile(path: string): Promise<ParquetEnvelopeReader>;
    readFooter(): Promise<{ schema: SchemaElement[]; num_rows: number | bigint | object }>;
    close(): Promise<void>;
  }
  const parquet: {
    ParquetSchema: typeof ParquetSchema;
    ParquetWriter: typeof ParquetWriter;
    ParquetReader: typeof ParquetReader;
    ParquetEnvelopeReader: typeof ParquetEnvelopeReader;
  };
  export default parquet;
}
