/**
 * Where a model of a run reads its inputs from: in a run of some partitions only the files within
 * its reach (the computed days and `lookbackDays` before them), and an input whose model handed
 * its rows downstream before committing them (HandOff) as it will be once that commit lands.
 * DuckDB binds a view's whole file list on every query (a file a day for silver), so binding only
 * the files a model reads is most of an hourly build's saving.
 */
import { filesSelectSql, type AddAction, type LakeQueryEngine, type Snapshot } from '../lake/index.ts';
import { MONTH_COLUMN, fileDayRange } from './month-partitions.ts';
import type { Model } from './model.ts';
import { addDays, datesBetween, partitionFilterSql, type Partition, type PartitionSet } from './partitions.ts';

/**
 * A model's rows handed downstream before its commit, in a run of some partitions: what its
 * table will hold once the commit lands is `table` (the rows of the days it recomputed, in the
 * engine's in-memory database) and, for every other day, the rows of `snapshot` (its output as
 * committed before the run). The models downstream read it as such (handOffRelation), plan from
 * `partitions` rather than from its commit (which has not landed), and commit after it. The
 * engine's view of the table is not brought up to date for them (a view of a file a day cost
 * ~10 ms to define again).
 */
export interface HandOff {
  readonly table: string;
  /** The partitions (symbol, date) the model recomputed. */
  readonly partitions: readonly Partition[];
  /** The output table as committed before this run, and its directory. */
  readonly snapshot: Snapshot;
  readonly dir: string;
}

/**
 * A handed-on input's files are not known until its model's commit lands: a model reads it
 * through `relation()` (handOffRelation), never by its files.
 */
export class HandedOnFilesError extends Error {
  constructor(
    readonly model: string,
    readonly table: string,
  ) {
    super(`${model}: the files of ${table} are not known yet (its commit is under way): read it through relation()`);
    this.name = 'HandedOnFilesError';
  }
}

/** Throws HandedOnFilesError when `table` is an input `model` reads from a hand-off. */
export function refuseHandedOn(handOffs: ReadonlyMap<string, HandOff>, model: Pick<Model, 'name'>, table: string): void {
  if (handOffs.has(table)) throw new HandedOnFilesError(model.name, table);
}

/** An input's files at the version the run reads (its view's); a handed-on input's are refused. */
export function inputFiles(engine: LakeQueryEngine, handOffs: ReadonlyMap<string, HandOff>, model: Pick<Model, 'name'>, table: string): AddAction[] {
  refuseHandedOn(handOffs, model, table);
  return [...(engine.tableSnapshot(table)?.files.values() ?? [])];
}

/**
 * For a run of some partitions, an input's rows in the partitions the model may read (the
 * computed dates and `lookbackDays` before them, for their symbols), as a relation over exactly
 * their files: binding a view's whole file list (a file a day) cost DuckDB ~4 ms a query.
 * Undefined (read the view) for a full build or an input not partitioned by date or month.
 */
export function inputRelation(engine: LakeQueryEngine, table: string, partitions: PartitionSet, lookbackDays: number): string | undefined {
  const snapshot = engine.tableSnapshot(table);
  if (!snapshot || partitions === 'all') return undefined;
  const reach = reachOf(snapshot, partitions, lookbackDays);
  if (reach === undefined) return undefined;
  return engine.filesRelation(table, [...snapshot.files.values()].filter(reach));
}

type PartitionValues = Readonly<Record<string, string | null | undefined>>;

export function partitionValuesKey(columns: readonly string[], values: PartitionValues): string {
  return columns.map((c) => values[c] ?? '').join('\u0000');
}

/**
 * Which of a table's files a run of `partitions` may read: those of the computed dates and
 * `lookbackDays` before them, for their symbols (by partition values, and by a month's files'
 * days). Undefined (every file) for a full build or a table not partitioned by date or month
 * (and symbol).
 */
export function reachOf(snapshot: Snapshot, partitions: PartitionSet, lookbackDays: number): ((file: AddAction) => boolean) | undefined {
  if (partitions === 'all' || partitions.length === 0) return undefined;
  const columns = snapshot.partitionColumns;
  if (!columns.some((c) => c === 'date' || c === MONTH_COLUMN) || columns.some((c) => c !== 'date' && c !== MONTH_COLUMN && c !== 'symbol')) return undefined;
  const dates = partitions.map((p) => p.date);
  if (dates.some((d) => d === undefined)) return undefined;
  const lo = addDays((dates as string[]).reduce((a, b) => (a < b ? a : b)), -lookbackDays);
  const hi = (dates as string[]).reduce((a, b) => (a > b ? a : b));
  const symbols = columns.includes('symbol') && partitions.every((p) => p.symbol !== undefined) ? new Set(partitions.map((p) => p.symbol!)) : undefined;
  return (f) => {
    const v = f.partitionValues;
    if (symbols && !(v.symbol && symbols.has(v.symbol))) return false;
    if (columns.includes('date') && !(v.date && v.date >= lo && v.date <= hi)) return false;
    const month = v[MONTH_COLUMN];
    if (columns.includes(MONTH_COLUMN) && !(month && month >= lo.slice(0, 7) && month <= hi.slice(0, 7))) return false;
    // A month's files holding only days out of reach (its newest month is a file a day) are left out too.
    const days = fileDayRange(f);
    return !days || (days.max >= lo && days.min <= hi);
  };
}

/**
 * A handed-on table as it will be once its commit lands: its rows of the recomputed partitions
 * from memory, the others from the files committed before (those of the partitions `reach`
 * selects; every one when undefined) but those holding recomputed days only, less their rows of
 * the recomputed days (a month's file holds them too). `where` restricts both.
 */
export function handOffRelation(handOff: HandOff, reach: ((file: AddAction) => boolean) | undefined, where = 'TRUE'): string {
  // (A file holding recomputed days only, such as the day's own file of a month stored a file a
  // day, has none of the rows to read: binding it cost a query a file's set-up.)
  const recomputed = new Set(handOff.partitions.map((p) => `${p.symbol ?? ''}\u0000${p.date}`));
  const wholly = (f: AddAction) => {
    const days = fileDayRange(f);
    const symbol = f.partitionValues.symbol ?? '';
    return days !== undefined && datesBetween(days.min, days.max).every((d) => recomputed.has(`${symbol}\u0000${d}`) || recomputed.has(`\u0000${d}`));
  };
  const files = [...handOff.snapshot.files.values()].filter((f) => (!reach || reach(f)) && !wholly(f));
  return `(SELECT * FROM ${handOff.table} WHERE ${where}
    UNION ALL BY NAME
    SELECT * FROM (${filesSelectSql(handOff.dir, handOff.snapshot, files)}) WHERE ${where} AND NOT (${partitionFilterSql(handOff.partitions)}))`;
}
