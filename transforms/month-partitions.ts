/**
 * Gold tables stored a month a partition while their models compute days. A table partitioned
 * by (symbol, date) writes one file a day: a full build of a year wrote 366 files, and each
 * file costs the Parquet writer its set-up, a footer and a log entry (for gold/indicators, half
 * of the commit's CPU went to that; for the small tables, more than their rows). Such a table is
 * partitioned by (symbol, `month`) instead, `month` being `YYYY-MM` derived from `date`.
 *
 * Inside a month partition, a month is one file; a model with `newestMonthByDay` (indicators,
 * signals: their hourly commits are on the hourly build's critical path, and a month of them is
 * many rows) keeps the table's newest month a file a day (`fileSplitSql`), because the hourly
 * builds recompute its latest day: they replace that day's file and leave the month's others.
 * Models and the runner's planning keep working in (symbol, date) partitions: a model computes
 * the days that changed, and the commit removes the files that hold those days (known from the
 * files' `date` statistics) and writes the days' new rows; a file that also holds other days
 * (a settled month's, or one compacted by `optimize`) is rewritten with its other days as it held
 * them (`filesHoldingDays`), all in one commit. Which grain a table has is read from its own
 * metadata (a table created before keeps its daily partitions).
 */
import { parseStats, sqlLiteral, type AddAction, type LakeColumn } from '../lake/index.ts';
import { datesBetween, dedupePartitions, type Partition } from './partitions.ts';

export const MONTH_COLUMN = 'month';
/**
 * The commit parameter naming the days (JSON partitions) a transform computed into a month-stored
 * table, so that the models reading it learn which days changed, not which months (changes.ts).
 */
export const COMPUTED_PARTITIONS_PARAMETER = 'computedPartitions';

/** The `month` column, derived from the table's `date` column (which the definition lists first). */
export function monthColumn(): LakeColumn {
  return { name: MONTH_COLUMN, type: 'string', nullable: false, comment: 'YYYY-MM of `date`: the partition (a file a month)', derivedFrom: `strftime("date", '%Y-%m')` };
}

/** The columns a model computes partitions by: the stored ones, a day instead of a month. */
export function computedPartitionColumns(stored: readonly string[]): string[] {
  return stored.map((c) => (c === MONTH_COLUMN ? 'date' : c));
}

export function storedByMonth(stored: readonly string[]): boolean {
  return stored.includes(MONTH_COLUMN);
}

/** The stored partitions (symbol, month) holding computed ones (symbol, date). */
export function monthPartitions(computed: readonly Partition[], stored: readonly string[]): Partition[] {
  return dedupePartitions(
    computed.map((p) => {
      const q: Record<string, string> = {};
      for (const c of stored) {
        if (c === MONTH_COLUMN) {
          if (!p.date) throw new Error(`partition ${JSON.stringify(p)} has no date to find its month by`);
          q[c] = p.date.slice(0, 7);
        } else if (p[c] !== undefined) q[c] = p[c];
      }
      return q;
    }),
  );
}

/** A stored (symbol, month) partition as the computed (symbol, date) ones it holds; other partitions as they are. */
export function asDays(p: Partition): Partition[] {
  const month = p[MONTH_COLUMN];
  if (month === undefined) return [p];
  const { [MONTH_COLUMN]: _, ...rest } = p;
  const [y, m] = month.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  return datesBetween(`${month}-01`, last).map((date) => ({ ...rest, date }));
}

/** The days a file holds: its `date` partition value, or its `date` statistics; undefined when neither says. */
export function fileDayRange(file: AddAction): DayRange | undefined {
  const day = file.partitionValues.date;
  if (day) return { min: day, max: day };
  const stats = parseStats(file);
  const min = stats?.minValues?.date;
  const max = stats?.maxValues?.date;
  return typeof min === 'string' && typeof max === 'string' ? { min: min.slice(0, 10), max: max.slice(0, 10) } : undefined;
}

export interface DayRange {
  readonly min: string;
  readonly max: string;
}

/**
 * The files of a month-stored table that hold computed days (symbol, date; a partition without
 * a symbol is that date of every symbol): `only` those holding nothing else (removed), `others`
 * those holding other days too (removed, and their other days written again). A file that says
 * nothing of its days (no `date` partition, statistics or month) counts as holding them all.
 */
export function filesHoldingDays(files: Iterable<AddAction>, computed: readonly Partition[]): { only: AddAction[]; others: AddAction[] } {
  const bySymbol = new Set(computed.filter((p) => p.symbol !== undefined && p.date !== undefined).map((p) => `${p.symbol}|${p.date}`));
  const anySymbol = new Set(computed.filter((p) => p.symbol === undefined && p.date !== undefined).map((p) => p.date!));
  const isComputed = (symbol: string | null | undefined, day: string) => anySymbol.has(day) || (symbol != null && bySymbol.has(`${symbol}|${day}`));
  const only: AddAction[] = [];
  const others: AddAction[] = [];
  for (const f of files) {
    const symbol = f.partitionValues.symbol;
    const month = f.partitionValues[MONTH_COLUMN];
    const range = fileDayRange(f);
    if (!range && !month) {
      // Nothing says which days it holds: it may hold any (of its symbol's).
      if (symbol == null || computed.some((p) => p.symbol === undefined || p.symbol === symbol)) others.push(f);
      continue;
    }
    const days = range ? datesBetween(range.min, range.max) : asDays({ [MONTH_COLUMN]: month! }).map((p) => p.date!);
    const held = days.filter((d) => isComputed(symbol, d));
    if (held.length === 0) continue;
    (range && held.length === days.length ? only : others).push(f);
  }
  return { only, others };
}

/** The files of a month-stored table that hold any of the days (`filesHoldingDays`, in one list). */
export function filesHolding(files: Iterable<AddAction>, days: readonly Partition[]): AddAction[] {
  const { only, others } = filesHoldingDays(files, days);
  return [...only, ...others];
}

/**
 * The partitions compaction (optimize) leaves alone: a month-stored table's newest month, whose
 * days the hourly builds keep a file each (`fileSplitSql`); once settled, a month is compacted.
 */
export function partitionsKeptByDay(partitionColumns: readonly string[], files: Iterable<AddAction>): Partition[] {
  const newest = storedByMonth(partitionColumns) ? newestMonthOf(files) : undefined;
  return newest === undefined ? [] : [{ [MONTH_COLUMN]: newest }];
}

/**
 * How a month-stored table's rows are cut into files (writer.ts `fileSplit`): the days of
 * `newestMonth` and later a file each, older months a file a month.
 */
export function fileSplitSql(newestMonth: string): string {
  // (A date compared with the month's first day: formatting every row's month cost a full
  // build's indicators ~30 ms of the writer's CPU.)
  if (!/^\d{4}-\d{2}$/.test(newestMonth)) throw new Error(`fileSplitSql: ${newestMonth} is not a YYYY-MM month`);
  return `CASE WHEN "date" >= DATE ${sqlLiteral(`${newestMonth}-01`)} THEN CAST("date" AS VARCHAR) ELSE 'month' END`;
}

/** The newest month (`YYYY-MM`) a month-stored table's files hold; undefined when it has none. */
export function newestMonthOf(files: Iterable<AddAction>): string | undefined {
  let newest: string | undefined;
  for (const f of files) {
    const m = f.partitionValues[MONTH_COLUMN];
    if (m && (newest === undefined || m > newest)) newest = m;
  }
  return newest;
}
