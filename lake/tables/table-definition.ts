/** What a lake table is declared with: its name, columns and partitioning (see lake/tables/*.ts). */
import type { LakeColumn } from '../delta/schema.ts';

export interface TableDefinition {
  /** Table name as the lake knows it, e.g. `bronze/trades`. */
  readonly name: string;
  readonly description?: string;
  readonly columns: readonly LakeColumn[];
  readonly partitionColumns?: readonly string[];
  /** Delta table properties, e.g. `delta.checkpointInterval`. */
  readonly configuration?: Readonly<Record<string, string>>;
}
