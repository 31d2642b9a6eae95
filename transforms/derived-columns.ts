/**
 * A gold table's derived columns (e.g. `date` from `window_start`) as SELECT expressions, for the
 * rows a model leaves them out of: the runner adds them to a model's table, and a model that
 * builds many rows adds them as it computes them (a second pass over the table costs more).
 */
import { duckdbType, sqlIdentifier, type TableDefinition } from '../lake/index.ts';
import { MONTH_COLUMN } from './month-partitions.ts';

/**
 * `CAST((<derivedFrom>) AS <type>) AS <name>` for each derived column of `def` not in `present`.
 * Not `month`: only the files are partitioned by it, and the writer derives it.
 */
export function derivedColumnsSql(def: TableDefinition, present: ReadonlySet<string> = new Set()): string[] {
  return def.columns.filter((c) => c.derivedFrom && c.name !== MONTH_COLUMN && !present.has(c.name)).map((c) => `CAST((${c.derivedFrom}) AS ${duckdbType(c.type)}) AS ${sqlIdentifier(c.name)}`);
}
