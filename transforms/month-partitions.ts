/**
 * Gold tables stored a month per file while their models compute days. A small table partitioned
 * by (symbol, date) writes one tiny file per day: a full build of a year wrote 366 files of one
 * to a few hundred rows each for gold/coverage, gold/alerts and gold/market_sentiment, ~1 ms of
 * writer set-up and log entry apiece (more than their rows cost). Such a table is partitioned by
 * (symbol, `month`) instead, `month` being `YYYY-MM` derived from `date`.
 *
 * Models and the runner's planning keep working in (symbol, date) partitions: a model computes
 * the days that changed, and the commit replaces their months with those days' new rows plus the
 * month's other days as the table held them (`monthMergeSql`), in one commit. Which grain a table
 * has is read from its own metadata (a table created before keeps its daily partitions).
 */
import type { LakeColumn } from '../lake/index.ts';
import { datesBetween, dedupePartitions, partitionFilterSql, type Partition } from './partitions.ts';

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

/**
 * The rows of the stored partitions `months` after the computed days `computed` are replaced by
 * the rows of `rows`: those rows, and the months' other days as `view` holds them.
 */
export function monthMergeSql(rows: string, view: string, months: readonly Partition[], computed: readonly Partition[]): string {
  return `SELECT * FROM ${rows}
    UNION ALL BY NAME
    SELECT * FROM ${view} WHERE ${partitionFilterSql(months)} AND NOT (${partitionFilterSql(computed)})`;
}
