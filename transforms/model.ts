/**
 * What a gold model is: one file under transforms/models/ declaring its inputs (lake tables or
 * other models, so the runner orders them as a graph), its output table, how it materialises,
 * the history it needs (lookback), its tests, and how it builds: a SELECT (DuckDB) where SQL
 * fits, or TypeScript (`build`) where a recursion is needed (DuckDB has no EMA).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AddAction, Lake, TableDefinition } from '../lake/index.ts';
import type { GoldConfig } from './config.ts';
import type { PartitionSet } from './partitions.ts';

/**
 * - `partitions`: replace only the partitions the run computed, in one idempotent commit (the
 *   output must be partitioned); an incremental run computes the partitions whose inputs changed.
 * - `full`: every run rewrites the whole table in one commit (small tables).
 */
export type Materialization = 'partitions' | 'full';

/** A model test: the rows it returns are failures (none = pass). */
export type ModelTest =
  | { readonly kind: 'unique'; readonly columns: readonly string[] }
  | { readonly kind: 'not_null'; readonly columns: readonly string[] }
  | { readonly kind: 'accepted_values'; readonly column: string; readonly values: readonly string[] }
  /** A SELECT over `{{ this }}` (the model's rows) and the lake views returning the failing rows. */
  | { readonly kind: 'sql'; readonly name: string; readonly sql: string };

export interface BuildContext {
  /** A read-write DuckDB connection with the lake views (`silver_candles`, `gold_<name>`, ...) at the run's snapshot. */
  readonly conn: DuckDBConnection;
  readonly lake: Lake;
  readonly config: GoldConfig;
  /**
   * The output partitions to compute, or 'all' (a full build). A `partitions` model returns rows
   * of these partitions only (the runner drops any other and replaces exactly these).
   */
  readonly partitions: PartitionSet;
  /** The run's clock (epoch µs), for `computed_at` columns: one value for the whole run. */
  readonly nowUs: number;
  /**
   * The relation to read an input table from (`gold/indicators` → `gold_indicators`): when this
   * run rewrote that table whole, the run's own copy of the rows it committed (a table of the engine's in-memory database,
   * already in memory); in a run of some partitions, the rows of the input's partitions within
   * the model's reach (the computed dates and `lookbackDays` before them, their symbols; for a
   * table partitioned by date or month, and symbol), bound file by file; otherwise the lake view.
   * A model reads an input no further back than its `lookbackDays` (as `inputRangeSql` filters).
   */
  relation(table: string): string;
  /**
   * A lake table's files at the version the run reads (its view's), with their partition values
   * and column statistics: what a model can know of it without a query.
   */
  filesOf(table: string): readonly AddAction[];
  /**
   * A lake table's rows in exactly these partitions (every partition column named), at the
   * version the run reads: a relation binding only their files, where the view binds them all.
   */
  partitionsRelation(table: string, partitions: readonly Readonly<Record<string, string>>[]): string;
  /** A lake table's rows in exactly these of its files (of `filesOf`). */
  filesRelation(table: string, files: readonly AddAction[]): string;
  /**
   * Tells the runner the build has read its inputs (see Model.exclusiveRead); later calls do
   * nothing. Resolves once the models that waited for the read have issued their builds: await
   * it before a long computation that holds Node's thread, so that DuckDB runs them meanwhile.
   */
  inputRead(): Promise<void>;
  /** True when the output table already held rows before this run (incremental models may read them). */
  readonly outputHasRows: boolean;
  /** Progress for long builds. */
  log(message: string): void;
}

export interface AffectedContext {
  readonly conn: DuckDBConnection;
  readonly config: GoldConfig;
  /**
   * The partition values of a lake table's files at the version the run reads (its view's), one
   * entry a file: which partitions hold rows, known without a query (none for a table without
   * a view).
   */
  partitionsOf(table: string): readonly Readonly<Record<string, string | null>>[];
  /** A lake table's files at the version the run reads, with their statistics (BuildContext.filesOf). */
  filesOf(table: string): readonly AddAction[];
  /** A lake table's rows in exactly these of its files (BuildContext.filesRelation). */
  filesRelation(table: string, files: readonly AddAction[]): string;
}

export interface Model {
  /** The model's name; its output is `gold/<name>` (view `gold_<name>`). */
  readonly name: string;
  readonly description: string;
  /** Lake tables (`silver/candles`, `bronze/trades`) or other models' outputs (`gold/indicators`). */
  readonly inputs: readonly string[];
  /** The output table's definition (name `gold/<name>`). */
  readonly output: TableDefinition;
  readonly materialization: Materialization;
  /**
   * How many whole days before a computed partition the model reads (rolling windows), so that
   * a changed day's neighbours are known to be inputs; documentation for `full` models. A function
   * where the run's configuration sizes the windows (alerts): read it with `lookbackDaysOf`.
   */
  readonly lookbackDays: number | ((config: GoldConfig) => number);
  /**
   * An output stored a month a partition (month-partitions.ts) keeps its newest month a file a
   * day, so that an hourly build replaces the day's file rather than rewriting the month's: worth
   * it where the hourly build waits on this commit and a month is many rows (indicators,
   * signals). Each day's file costs a full build a file's set-up, more than a small table's rows.
   */
  readonly newestMonthByDay?: boolean;
  /**
   * The build reads its inputs in one big query (DuckDB, every core) and then computes in
   * TypeScript: in a full refresh the other models plan meanwhile but build only once the read is
   * done (`BuildContext.inputRead`, or the model's end), so that the read has the cores; their
   * builds then run in DuckDB beside the computation, which holds Node's thread. From then on the
   * run's statements get a DuckDB thread each (runner.ts, `laneThreads`).
   */
  readonly exclusiveRead?: boolean;
  /**
   * The build leaves rows of `ctx.partitions` only, with every column of the output but `month`
   * (the derived ones too): the runner neither filters nor completes them (statements on the
   * hourly build's critical path).
   */
  readonly rowsWithinPartitions?: boolean;
  /**
   * Which output partitions a change to input partitions affects (default: the same
   * `symbol`/`date` values, widened by nothing). Indicators, being recursive, also affect every
   * later date of the same symbol.
   */
  affected?(changed: PartitionSet, ctx: AffectedContext): Promise<PartitionSet>;
  readonly tests: readonly ModelTest[];
  /** An SQL model: one SELECT producing the output rows for `ctx.partitions`. */
  sql?(ctx: BuildContext): string;
  /**
   * A TypeScript model: leaves its output rows in the table named `into` (in the engine's in-memory database, not temp) (created by the
   * model, columns named like the output table's).
   */
  build?(ctx: BuildContext, into: string): Promise<void>;
}

/** A model's lookback (Model.lookbackDays) under a run's configuration. */
export function lookbackDaysOf(model: Pick<Model, 'lookbackDays'>, config: GoldConfig): number {
  return typeof model.lookbackDays === 'function' ? model.lookbackDays(config) : model.lookbackDays;
}

export function outputTableOf(model: Pick<Model, 'name'>): string {
  return `gold/${model.name}`;
}
