/**
 * Runs gold models in graph order, incrementally: a model computes only the output partitions
 * whose inputs changed since it last ran, plus what its lookback makes depend on them. What a
 * model last read is recorded in its own output commit (a Delta `txn` per input:
 * `transform:<model>:<input>` → the input's version), so the record and the data cannot
 * disagree, and the changes since are read from the inputs' Delta logs (changes.ts).
 *
 * Each model builds into a table of the engine's in-memory database, its tests run on those rows,
 * and only then one commit replaces the computed partitions (or the whole table): a model that
 * fails, or whose tests fail, leaves its previous output untouched, and the models downstream of
 * it are skipped. A model's rows go downstream as soon as they are built: its children build
 * from them (on its lane) while it tests and commits them (on a connection of its own), and each
 * child commits only after its parent's commit landed, recording the version it produced (or is
 * skipped when the parent's tests or commit failed). In a full refresh the children read the
 * parent's whole table from memory; in a run of some partitions (`HandOff`) the parent's rows of
 * the days it recomputed from memory and its other days as committed before the run.
 * Every run appends one row per model to `gold/transform_runs`.
 *
 * Two models build at once (a full refresh: four; `concurrency`): a model starts when every
 * model it reads has finished or handed its rows downstream, each on a connection of one DuckDB
 * engine (every connection reads the rows in memory); among the models ready, those with the
 * longest chains below them first, then those furthest down a chain.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Lake, LakeQueryEngine, TableNotFoundError, queryJson, viewName, type AddAction, type CommitResult, type DeltaTable, type ParquetCompression, type Snapshot, type TableDefinition, type TxnMark } from '../lake/index.ts';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TransformMetrics } from '../common/metrics-catalog.ts';
import type { CommitChanges } from './changes.ts';
import { DEFAULT_GOLD_CONFIG, type GoldConfig } from './config.ts';
import { ModelGraph } from './graph.ts';
import { lookbackDaysOf, outputTableOf, type BuildContext, type Model } from './model.ts';
import { ModelTestFailure, runModelTests, type TestResult } from './model-tests.ts';
import { partitionFilterSql, type Partition, type PartitionSet } from './partitions.ts';
import { TRANSFORM_RUNS } from './runs-table.ts';
import { COMPUTED_PARTITIONS_PARAMETER, MONTH_COLUMN, fileSplitSql, filesHoldingDays, monthPartitions, newestMonthOf, storedByMonth } from './month-partitions.ts';
import { profiler } from './profile.ts';
import { derivedColumnsSql } from './derived-columns.ts';
import { handOffRelation, inputFiles, inputRelation, partitionValuesKey, reachOf, refuseHandedOn, type HandOff } from './input-relations.ts';
import { plan, txnAppId } from './plan.ts';
import { stageRows } from './staging.ts';

export interface TransformRunOptions {
  /** dbt-style selectors (`indicators`, `indicators+`, `+alerts`); default every model. */
  readonly select?: readonly string[];
  /** Restrict partitioned models to dates from / to (inclusive, `YYYY-MM-DD`). */
  readonly from?: string;
  readonly to?: string;
  /** Recompute everything selected (within from/to), ignoring what changed. */
  readonly fullRefresh?: boolean;
  readonly config?: GoldConfig;
  /** The run's clock, epoch µs (default now). */
  readonly nowUs?: number;
  readonly log?: (message: string) => void;
  /**
   * DuckDB threads for the build, per engine (default: DuckDB's choice, a thread per core, for a
   * full refresh; for other runs the cores shared among the lanes, `laneThreads`).
   */
  readonly threads?: number;
  /**
   * How many models build at once (default 2; a full refresh 4), each on its own connection of
   * one engine: a model starts once the models it reads have finished or handed their rows on.
   */
  readonly concurrency?: number;
  /** Prometheus series to update per model (common/metrics-catalog.ts). */
  readonly metrics?: TransformMetrics;
  /**
   * A read-write engine over the same lake that the caller keeps between runs (the worker does):
   * a run other than a full refresh builds on connections of it, closed at the run's end, rather
   * than opening an engine of its own; its views are brought up to date (only the tables that
   * changed since), not created again. Several runs may share it at once. Not closed by the run.
   */
  readonly engine?: LakeQueryEngine;
}

export type ModelRunStatus = 'success' | 'skipped' | 'failed';

export interface ModelRun {
  readonly model: string;
  readonly status: ModelRunStatus;
  readonly partitions: PartitionSet;
  readonly rows: number;
  readonly durationMs: number;
  readonly error?: string;
  readonly outputVersion?: number;
  readonly inputVersions: Readonly<Record<string, number>>;
  readonly tests: readonly TestResult[];
}

export interface TransformRunSummary {
  readonly runId: string;
  readonly startedAt: Date;
  readonly fullRefresh: boolean;
  readonly models: readonly ModelRun[];
  /** No model failed. */
  readonly ok: boolean;
  readonly durationMs: number;
}

/**
 * The table a model builds into: in the engine's in-memory database, not a temp table, so that
 * every connection of the engine sees it (a full refresh commits a model's rows on one connection
 * while its downstream models read them on another); named after the model and the run (`tag`),
 * as several lanes, and two runs on a kept engine, build at once.
 */
const outTable = (model: Model, tag: string) => `__gold_out_${model.name}_${tag}`;
/** The table holding the rows a run committed for a model it rewrote whole. */
const keptTable = (model: Model, tag: string) => `__gold_run_${model.name}_${tag}`;

/**
 * Opens a gold table, creating it from its definition the first time; a table created before a
 * (nullable, stored) column was added to its definition gains it (its older files read it as NULL).
 */
export async function openGoldTable(lake: Lake, def: TableDefinition): Promise<DeltaTable> {
  let table: DeltaTable;
  try {
    table = await lake.table(def.name);
  } catch (err) {
    if (!(err instanceof TableNotFoundError)) throw err;
    return lake.createTable(def);
  }
  const present = new Set(table.snapshot().columns.map((c) => c.name));
  const added = def.columns.filter((c) => !present.has(c.name) && c.nullable !== false && !c.derivedFrom);
  if (added.length > 0) await table.addColumns(added);
  return table;
}

/**
 * Where the runner builds a model: a DuckDB connection. Models run on several lanes at once (DuckDB
 * leaves a core idle while a TypeScript model computes or the lake commits, and most models do
 * not read each other). The lanes share one engine (its views opened once, its threads shared:
 * a second engine cost 0.1-0.2 s of CPU for the views of every table and, on two cores, twice the
 * threads), each lane on a connection of its own: a table one lane's model wrote in memory is
 * read by the others' (Rewritten).
 */
interface Lane {
  readonly engine: LakeQueryEngine;
  readonly conn: DuckDBConnection;
  busy: boolean;
}

/** Gold tables this run rewrote whole → the in-memory table holding the rows committed (or being committed). */
type Rewritten = Map<string, string>;

export async function runTransforms(lake: Lake, models: readonly Model[], options: TransformRunOptions = {}): Promise<TransformRunSummary> {
  const graph = new ModelGraph(models);
  const selected = graph.select(options.select ?? []);
  const config = options.config ?? DEFAULT_GOLD_CONFIG;
  const log = options.log ?? (() => {});
  const startedAt = new Date();
  const nowUs = options.nowUs ?? startedAt.getTime() * 1000;
  const runId = randomUUID();
  const runs = new Map<string, ModelRun>();
  const failed = new Set<string>();
  const lanes: Lane[] = [];
  const laneCount = Math.max(1, Math.floor(options.concurrency ?? (options.fullRefresh ? FULL_REFRESH_CONCURRENCY : DEFAULT_CONCURRENCY)));
  const running = new Set<Promise<void>>();
  const runLap = profiler((m) => log(`run: ${m}`));
  const threads = options.threads ?? (options.fullRefresh ? undefined : laneThreads(laneCount));
  // (A kept engine is the caller's: its thread count is lowered for this run only, unless it was
  // opened with no more (keptEngineThreads: the worker's). The run's first statements do not wait
  // for the setting: an hourly build's first millisecond count.)
  const threadsLimited = threads !== undefined && !options.fullRefresh && options.engine ? options.engine.limitThreads(threads).catch(() => undefined) : undefined;
  /**
   * Models that handed their rows of some partitions downstream (HandOff): the models reading
   * them read those rows for the whole run, also once the commit landed (its view is not defined
   * again for them). Their tables are dropped when the run ends.
   */
  const handedOn = new Map<string, { handOff: HandOff; run: Promise<ModelRun> }>();
  const rewritten: Rewritten = new Map();
  /** What the commits its models read changed, worked out once for them all (changes.ts). */
  const commitChanges: CommitChanges = new Map();
  let summary: TransformRunSummary;
  let recorded: Promise<void>;
  /** Gives back the thread count lowered once an exclusive read is done. */
  let restoreAfterRead: (() => Promise<void>) | undefined;
  try {
    // The gold tables a model reads exist (empty) even when their models never ran (created
    // here, before any lane runs, so that two lanes never create the same table).
    for (const model of selected) for (const parent of graph.parents(model)) await openGoldTable(lake, parent.output);
    runLap('gold tables opened');
    const selectedNames = new Set(selected.map((m) => m.name));
    // Models with the longest chains of selected models below them first (a stable sort keeps
    // graph order among equals): a free lane goes to the critical path, and a model that only
    // feeds another (sentiment) does not wait behind the models nothing reads.
    const chainBelow = new Map<string, number>();
    const depth = (m: Model): number => {
      let d = chainBelow.get(m.name);
      if (d === undefined) chainBelow.set(m.name, (d = Math.max(0, ...graph.children(m).filter((c) => selectedNames.has(c.name)).map((c) => depth(c) + 1))));
      return d;
    };
    // Among equals, the models further down a chain of selected models first: a lane freed once
    // a parent handed its rows on goes to its children (signals, alerts), not to a model that
    // could have run at any time (market_overview), which waits for the next.
    const chainAbove = new Map<string, number>();
    const height = (m: Model): number => {
      let h = chainAbove.get(m.name);
      if (h === undefined) chainAbove.set(m.name, (h = Math.max(0, ...graph.parents(m).filter((p) => selectedNames.has(p.name)).map((p) => height(p) + 1))));
      return h;
    };
    // (In a full refresh an exclusive reader goes before the models it would otherwise wait for.)
    const exclusiveFirst = (m: Model) => (options.fullRefresh && m.exclusiveRead ? 1 : 0);
    const pending = [...selected].sort((a, b) => depth(b) - depth(a) || exclusiveFirst(b) - exclusiveFirst(a) || height(b) - height(a));
    const finished = (m: Model) => !selectedNames.has(m.name) || runs.has(m.name);
    const record = (model: Model, run: ModelRun) => {
      if (run.status === 'failed') failed.add(model.name);
      runs.set(model.name, run);
      if (options.metrics && run.status !== 'skipped') {
        const m = options.metrics;
        m.runs.inc({ model: model.name, outcome: run.status === 'success' ? 'success' : 'failure' });
        m.seconds.observe({ model: model.name }, run.durationMs / 1000);
        if (run.status === 'success') {
          m.rowsWritten.inc({ model: model.name }, run.rows);
          m.lastSuccess.set({ model: model.name }, Date.now() / 1000);
        }
      }
      log(`${model.name}: ${run.status}${run.error ? ` (${run.error})` : ''}, ${describePartitions(run.partitions)}, ${run.rows} rows, ${run.durationMs} ms`);
    };
    // Models whose rows are built but still being tested and committed: their downstream models
    // may build from those rows, on any lane, and commit after them.
    const committing = new Map<string, Promise<ModelRun>>();
    /** A model's exclusive read under way (Model.exclusiveRead): the models started meanwhile build after it. */
    let exclusive: Promise<void> | undefined;
    while (pending.length > 0 || running.size > 0) {
      for (const model of [...pending]) {
        const parents = graph.parents(model);
        if (!parents.every((p) => finished(p) || committing.has(p.name))) continue;
        const upstreamFailed = parents.find((p) => failed.has(p.name));
        if (upstreamFailed) {
          pending.splice(pending.indexOf(model), 1);
          record(model, { model: model.name, status: 'skipped', partitions: [], rows: 0, durationMs: 0, error: `upstream model ${upstreamFailed.name} failed`, inputVersions: {}, tests: [] });
          continue;
        }
        // (Uncommitted parents' rows are in memory, whole tables (Rewritten) or the partitions
        // handed on: every lane's connection reads them.)
        const unfinished = parents.filter((p) => !finished(p)).map((p): [string, Promise<ModelRun>] => [outputTableOf(p), committing.get(p.name)!]);
        const lane = await laneFor(lanes, laneCount, lake, { threads, keptEngine: options.fullRefresh ? undefined : options.engine }, log);
        if (!lane) continue;
        pending.splice(pending.indexOf(model), 1);
        lane.busy = true;
        let released = false;
        let rowsReady = () => {};
        const ready = new Promise<void>((resolve) => (rowsReady = resolve));
        const release = () => {
          if (!released) lane.busy = false;
          released = true;
          rowsReady();
        };
        const buildGate = exclusive;
        let inputRead = () => {};
        let waitersStarted = async () => {};
        if (model.exclusiveRead && options.fullRefresh && !exclusive) {
          const read = new Promise<void>((resolve) => (inputRead = resolve));
          exclusive = read;
          // The models that waited for the read issue their builds in the turn after it (their
          // statements then run in DuckDB while the reader's computation holds Node's thread).
          waitersStarted = () => new Promise((resolve) => setImmediate(resolve));
          const owned = lane.engine;
          const tracked = read.then(async () => {
            // From here the run's statements come several at once (the lanes, tests beside file
            // writes) beside the TypeScript computation: a DuckDB thread each keeps the cores
            // busy without the hand-overs of a thread per core (on 2 cores, ~0.3 s less CPU for
            // a full build, bench gold-build).
            if (options.threads === undefined && !restoreAfterRead) restoreAfterRead = await owned.limitThreads(laneThreads(laneCount));
          });
          running.add(tracked);
          void tracked.finally(() => {
            running.delete(tracked);
            if (exclusive === read) exclusive = undefined;
          });
        }
        const handed = parents.filter((p) => handedOn.has(p.name)).map((p) => ({ table: outputTableOf(p), ...handedOn.get(p.name)! }));
        const run: Promise<ModelRun> = runModel(lake, lane, model, { ...options, config, nowUs, log, tag: runId.slice(0, 8), commitChanges }, {
          rewritten,
          upstream: new Map([...unfinished, ...handed.map((h): [string, Promise<ModelRun>] => [h.table, h.run])]),
          handOffs: new Map(handed.map((h) => [h.table, h.handOff])),
          handsOff: graph.children(model).some((c) => selectedNames.has(c.name)),
          onInputRead: async () => {
            inputRead();
            await waitersStarted();
          },
          buildGate,
          onRowsReady: (handOff) => {
            if (handOff) handedOn.set(model.name, { handOff, run });
            committing.set(model.name, run);
            release();
          },
        });
        const job = run.then((r) => {
          inputRead();
          release();
          committing.delete(model.name);
          record(model, r);
        });
        for (const p of [job, ready]) {
          running.add(p);
          void p.finally(() => running.delete(p));
        }
      }
      if (running.size > 0) await Promise.race(running);
    }
    const ordered = selected.map((m) => runs.get(m.name)).filter((r): r is ModelRun => r !== undefined);
    summary = { runId, startedAt, fullRefresh: options.fullRefresh ?? false, models: ordered, ok: failed.size === 0, durationMs: Date.now() - startedAt.getTime() };
    runLap('models run');
    // The ledger is written while the run lets its in-memory tables and connections go.
    recorded = recordRuns(lake, summary);
    recorded.catch(() => {}); // (awaited below, once the run has let them go)
  } finally {
    await Promise.allSettled(running);
    const first = lanes[0];
    if (first) for (const t of [...rewritten.values(), ...[...handedOn.values()].map((h) => h.handOff.table)]) await first.conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
    await restoreAfterRead?.();
    for (const lane of lanes) if (lane.conn !== lane.engine.connection) lane.engine.returnConnection(lane.conn);
    for (const engine of new Set(lanes.map((l) => l.engine))) if (engine !== options.engine) engine.close();
    await (await threadsLimited)?.();
  }
  await recorded;
  runLap('engines closed, runs recorded');
  return summary;
}

/**
 * Two models build at once, on connections of one engine (opening a second engine costs 0.1-0.2 s
 * of CPU for the views of every table, more than an hourly build's models take), each statement
 * on a DuckDB thread of its own (laneThreads): an hourly build's chain (indicators, signals,
 * alerts: the longest chains first) keeps a lane, the other models take turns on the other. With
 * four lanes they all started at once and slowed the indicators' read (the first hour after a
 * full build 159-173 ms -> 150-158 ms with two, bench gold-build).
 */
const DEFAULT_CONCURRENCY = 2;

/**
 * The DuckDB threads for an engine kept open for hourly builds (the worker's gold engine): the
 * count those builds run with (laneThreads), so that no build sets the count and sets it back
 * (engine.limitThreads leaves such an engine alone). A full refresh opens an engine of its own
 * with a thread per core.
 */
export function keptEngineThreads(cores = availableParallelism()): number {
  return laneThreads(DEFAULT_CONCURRENCY, cores);
}

/**
 * A full refresh builds up to four models at once: the models independent of an exclusive reader
 * (Model.exclusiveRead) each need a lane to be waiting with their builds when its read ends
 * (coverage, the sentiment and trade models: ~0.6 s of CPU beside the indicators' computation,
 * bench gold-build). More would outnumber Node's four libuv threads, which every running query
 * and file operation holds.
 */
const FULL_REFRESH_CONCURRENCY = 4;

/**
 * DuckDB threads for a run's lanes: the cores shared among them (at least one each). An hourly
 * build's queries are small (a few partitions), and lanes with a thread per core each kept more
 * threads than cores busy: the workers' waking and task hand-overs cost an hourly build ~10-15%
 * more CPU than one thread per lane (bench gold-build, on 2 cores), for no shorter wall time. A
 * full refresh's exclusive read (Model.exclusiveRead) keeps a thread per core; its lanes get
 * these once it is done.
 */
export function laneThreads(lanes: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, lanes)));
}

/**
 * Gold's files are written for speed: a build rewrites them often (every full build, and the
 * days an hourly build touches). Snappy rather than the lake's default Zstandard (zstd's
 * per-page setup and its work on DOUBLE columns made up a fifth to a third of the writes' CPU),
 * and no dictionaries (their try on every column of distinct doubles cost another fifth, for
 * files of the same size; bench gold-build). `marketlake lake optimize` recompacts them with the
 * table's codec and dictionaries.
 */
const GOLD_FILES: { readonly compression: ParquetCompression; readonly dictionary: boolean } = { compression: 'snappy', dictionary: false };

/** The lane a ready model runs on, or undefined to wait: a free lane, opening one while fewer than `max` are open. */
async function laneFor(
  lanes: Lane[],
  max: number,
  lake: Lake,
  opts: { threads?: number; keptEngine?: LakeQueryEngine },
  log: (m: string) => void,
): Promise<Lane | undefined> {
  const free = lanes.find((l) => !l.busy);
  if (free) return free;
  if (lanes.length >= max) return undefined;
  const lap = profiler((m) => log(`lane ${lanes.length}: ${m}`));
  // The caller's engine, or the run's first one: every lane but the first owner's on a connection
  // of its own (the engine's main connection is never a lane of a kept engine: runs share it).
  const shared = opts.keptEngine ?? lanes[0]?.engine;
  const engine = shared ?? (await LakeQueryEngine.open({ lake, readOnly: false, threads: opts.threads }));
  // (A model drops the tables it makes on its lane's connection, temp ones too: lent again after the run.)
  const conn = await setUpWriter(shared ? await shared.borrowConnection() : engine.connection);
  lap(shared ? 'connection opened' : 'engine opened');
  const lane: Lane = { engine, conn, busy: false };
  lanes.push(lane);
  return lane;
}

/**
 * A model's rows reach the Parquet writer in series order (interval, then time), so every
 * (symbol, date) partition receives rows in several bursts; with DuckDB's default of 100 open
 * files it closes a partition's file between bursts and opens another (a full build wrote
 * 471-556 files for 366 indicator partitions). One file per partition for up to this many.
 */
const MAX_OPEN_PARTITION_FILES = 2048;

/** Connections set up to write gold's files (the setting is the connection's, and stays with it). */
const writers = new WeakSet<DuckDBConnection>();

/** Sets up a connection that writes gold's files. */
async function setUpWriter(conn: DuckDBConnection): Promise<DuckDBConnection> {
  if (writers.has(conn)) return conn;
  await conn.run(`SET partitioned_write_max_open_files = ${MAX_OPEN_PARTITION_FILES}`);
  writers.add(conn);
  return conn;
}

/**
 * A connection for a model's tests, file writes or commit queries (nothing stays on it): one the
 * engine lends, set up to write (an hourly build's models each take two, and on the worker's kept
 * engine they are the same few every hour).
 */
async function borrowWriter(engine: LakeQueryEngine): Promise<DuckDBConnection> {
  return setUpWriter(await engine.borrowConnection());
}

/** How a model's run meets the runs around it (its commit overlaps its children's builds). */
interface RunHooks {
  /** Input tables whose models' commits are under way (their rows in memory), or that were handed on → those runs. */
  readonly upstream: ReadonlyMap<string, Promise<ModelRun>>;
  /** The run's whole tables in memory: this model's inputs are read from there, its output is added. */
  readonly rewritten: Rewritten;
  /** Input tables whose models handed on the rows of some partitions (not the whole table) → those rows. */
  readonly handOffs: ReadonlyMap<string, HandOff>;
  /** Models downstream of this one run after it: its rows are worth handing on before its commit. */
  readonly handsOff: boolean;
  /** Called when the model's build has read its inputs (BuildContext.inputRead). */
  readonly onInputRead: () => Promise<void>;
  /** Resolves when this model may build (an exclusive read under way when it started). */
  readonly buildGate?: Promise<void>;
  /** Called once this model's rows are built and readable by the models downstream. */
  readonly onRowsReady: (handOff?: HandOff) => void;
}

async function runModel(lake: Lake, lane: Lane, model: Model, options: TransformRunOptions & { config: GoldConfig; nowUs: number; log: (m: string) => void; tag: string; commitChanges: CommitChanges }, hooks: RunHooks): Promise<ModelRun> {
  const t0 = performance.now();
  const lap = profiler((m) => options.log(`${model.name}: ${m}`));
  const { engine, conn } = lane;
  const { rewritten } = hooks;
  const OUT = outTable(model, options.tag);
  const kept = keptTable(model, options.tag);
  let inputVersions: Record<string, number> = {};
  let partitions: PartitionSet = [];
  let published = false;
  /** The connection a full refresh commits this model on while its rows feed the models downstream. */
  let commitConnection: DuckDBConnection | undefined;
  /** The connection its files are written on beside its tests (when it has a commit connection). */
  let stageConnection: DuckDBConnection | undefined;
  try {
    const out = await openGoldTable(lake, model.output);
    await out.refresh();
    // The views this model reads (its inputs, its output for the month merge), on its lane's
    // connection: two lanes refresh side by side, and views no model reads are left alone.
    // (Inputs handed on by their models are read from those, not from the views.) The inputs'
    // views are defined in DuckDB only once SQL of this model names them (`viewing`): most are
    // read through the files of the days at hand (BuildContext.relation), and the view of a
    // table of thousands of files (silver/candles) cost milliseconds to define on every run.
    // (So is its output's: the commit reads the output's files, not its view.)
    await engine.refresh([...model.inputs.filter((i) => !hooks.handOffs.has(i)), outputTableOf(model)], conn, { deferDefinition: true });
    const viewing = engine.definingViews(conn);
    const versions = engine.viewVersions();
    inputVersions = Object.fromEntries(model.inputs.map((i) => [i, hooks.handOffs.get(i)?.snapshot.version ?? versions[viewName(i)] ?? -1]));
    partitions = await plan(lake, engine, viewing, model, out, inputVersions, hooks.handOffs, options);
    lap('plan');
    if (partitions !== 'all' && partitions.length === 0) {
      return { model: model.name, status: 'skipped', partitions, rows: 0, durationMs: Math.round(performance.now() - t0), inputVersions, tests: [] };
    }
    if (hooks.buildGate) {
      await hooks.buildGate;
      lap('waited for an exclusive read');
    }
    const lookbackDays = lookbackDaysOf(model, options.config);
    const ctx: BuildContext = {
      conn: viewing,
      lake,
      config: options.config,
      partitions,
      nowUs: options.nowUs,
      relation: (table) => {
        const handOff = hooks.handOffs.get(table);
        if (handOff) return handOffRelation(handOff, reachOf(handOff.snapshot, partitions, lookbackDays));
        return rewritten.get(table) ?? inputRelation(engine, table, partitions, lookbackDays) ?? viewName(table);
      },
      filesOf: (table) => inputFiles(engine, hooks.handOffs, model, table),
      partitionsRelation: (table, list) => {
        const handOff = hooks.handOffs.get(table);
        if (!handOff) return engine.partitionsRelation(table, list);
        const keys = new Set(list.map((p) => partitionValuesKey(handOff.snapshot.partitionColumns, p)));
        return handOffRelation(handOff, (f) => keys.has(partitionValuesKey(handOff.snapshot.partitionColumns, f.partitionValues)), partitionFilterSql(list));
      },
      filesRelation: (table, files) => {
        refuseHandedOn(hooks.handOffs, model, table);
        return engine.filesRelation(table, files);
      },
      inputRead: hooks.onInputRead,
      outputHasRows: out.snapshot().files.size > 0,
      log: (m) => options.log(`${model.name}: ${m}`),
    };
    // A lane's earlier model dropped its table (runModel's catch too): no DROP needed first.
    if (model.sql) await viewing.run(`CREATE OR REPLACE TABLE ${OUT} AS ${model.sql(ctx)}`);
    else if (model.build) await model.build(ctx, OUT);
    else throw new Error(`model ${model.name} has neither sql nor build`);
    lap('build');
    // (A model whose rows are complete as built is not looked at: learning its columns alone
    // cost the hourly build's chain a millisecond a model.)
    if (!model.rowsWithinPartitions) await completeRows(conn, OUT, model.output, out.snapshot().partitionColumns.length > 0 ? partitionFilterSql(partitions) : 'TRUE');
    lap('derived columns, partition filter');
    // The rows go to the models downstream now: they build from them (on this lane's connection)
    // while this model's tests and commit run (on a connection of its own), and commit after it,
    // or not at all when its tests or commit fail: in a full refresh the whole table, in a run of
    // some partitions the days recomputed (HandOff). (A run that rewrites the whole table
    // otherwise hands it on once committed, below.)
    const overlap = options.fullRefresh === true && partitions === 'all';
    const handOn = partitions !== 'all' && hooks.handsOff;
    let source = OUT;
    let writer = conn;
    if (overlap || handOn) {
      // (Rows handed on stay in the build's own table, named for this model and run: dropped when the run ends.)
      if (overlap) {
        await conn.run(`DROP TABLE IF EXISTS ${kept}`);
        await conn.run(`ALTER TABLE ${OUT} RENAME TO ${kept}`);
        rewritten.set(outputTableOf(model), kept);
      }
      published = true;
      source = overlap ? kept : OUT;
      hooks.onRowsReady(handOn ? { table: OUT, partitions: partitions as readonly Partition[], snapshot: out.snapshot(), dir: out.dir } : undefined);
      writer = commitConnection = await borrowWriter(lane.engine);
    }
    // An SQL test may name a lake view (its connection defines none on demand): defined before.
    await engine.defineDeferredNamedIn(model.tests.map((t) => (t.kind === 'sql' ? t.sql : '')).join('\n'), conn);
    // What the commit writes, and how it replaces what the table held.
    const stored = out.snapshot().partitionColumns;
    const computed = partitions === 'all' ? undefined : partitions;
    let rows = `SELECT * FROM ${source}`;
    let fileSplit: string | undefined;
    let readSnapshot: Snapshot | undefined;
    let replace: (files: readonly AddAction[], txn: readonly TxnMark[]) => Promise<CommitResult>;
    if (!storedByMonth(stored)) {
      replace = (files, txn) => out.replacePartitionsWith(files, { partitions: computed ?? [{}], txn, parameters: { transform: model.name } });
    } else if (!computed) {
      // A table stored a month a partition, rewritten whole: its newest month a file a day.
      const newest = (await queryJson(writer, `SELECT strftime(max("date"), '%Y-%m') AS m FROM ${source}`))[0]?.m;
      fileSplit = typeof newest === 'string' && model.newestMonthByDay ? fileSplitSql(newest) : undefined;
      replace = (files, txn) => out.replacePartitionsWith(files, { partitions: [{}], txn, parameters: { transform: model.name } });
    } else {
      // Some days of a table stored a month a partition: the files holding them are replaced, and
      // a file holding other days too is written again with them (month-partitions.ts), as the
      // view's version held them (a commit since to those months conflicts).
      const read = (readSnapshot = await out.snapshotAt(versions[viewName(outputTableOf(model))]));
      const { only, others } = filesHoldingDays(read.files.values(), computed);
      // (`month` as the writer derives it for every row: the model's rows need not have it.)
      if (others.length > 0) rows += ` UNION ALL BY NAME SELECT * EXCLUDE (${MONTH_COLUMN}) FROM ${engine.filesRelation(outputTableOf(model), others)} WHERE NOT (${partitionFilterSql(computed)})`;
      // (Days of a month newer than the table's newest are a file each too: `>=` in fileSplitSql.)
      const newest = newestMonthOf(read.files.values()) ?? computed.map((p) => p.date?.slice(0, 7)).filter((m) => m !== undefined).sort()[0];
      fileSplit = newest === undefined || !model.newestMonthByDay ? undefined : fileSplitSql(newest);
      const parameters = { transform: model.name, [COMPUTED_PARTITIONS_PARAMETER]: JSON.stringify(computed) };
      replace = (files, txn) => out.replaceFilesWith(files, { remove: [...only, ...others], partitions: monthPartitions(computed, stored), readSnapshot: read, txn, parameters });
    }
    // The files are written now, also while the models this one reads are still committing (its
    // rows came from theirs, in memory): only the commit waits for theirs, records the versions
    // they produced, and never lands when theirs did not (the files are deleted then). Beside the
    // model's tests, on a connection of their own (the last model of an hourly build's chain
    // waits for both); files of rows that fail a test are deleted.
    const stage = (c: DuckDBConnection) =>
      stageRows(out, c, rows, {
        ...GOLD_FILES,
        fileSplit,
        readSnapshot,
        // (A table rewritten whole: its rows may be many.)
        ...(partitions === 'all' ? { source, openConnection: async () => {
          const other = await borrowWriter(lane.engine);
          return { conn: other, close: () => lane.engine.returnConnection(other) };
        } } : {}),
      });
    stageConnection = await borrowWriter(lane.engine);
    const [tested, written] = await Promise.allSettled([runModelTests(writer, model, source), stage(stageConnection)]);
    if (written.status === 'rejected') throw written.reason;
    const staged = written.value;
    if (tested.status === 'rejected' || tested.value.some((t) => !t.passed)) await out.discardStaged(staged);
    if (tested.status === 'rejected') throw tested.reason;
    const tests = tested.value;
    lap('tests, files written');
    const failures = tests.filter((t) => !t.passed);
    if (failures.length > 0) throw new ModelTestFailure(failures);
    try {
      for (const [input, pending] of hooks.upstream) {
        const upstream = await pending;
        if (upstream.status !== 'success' || upstream.outputVersion === undefined) {
          await out.discardStaged(staged);
          // (Rows handed downstream stay until the run ends: the models that read them are skipped too.)
          return { model: model.name, status: 'skipped', partitions, rows: 0, durationMs: Math.round(performance.now() - t0), error: `upstream model ${upstream.model} failed`, inputVersions, tests };
        }
        // A handed-on input's commit must directly follow the version its rows were read with: with
        // another commit between, the run records that version and the next run reads both.
        const handOff = hooks.handOffs.get(input);
        inputVersions[input] = !handOff || upstream.outputVersion === handOff.snapshot.version + 1 ? upstream.outputVersion : handOff.snapshot.version;
      }
    } catch (err) {
      await out.discardStaged(staged);
      throw err;
    }
    // (A failed commit deletes the files it was given.)
    const result = await replace(staged, model.inputs.map((i) => ({ appId: txnAppId(model.name, i), version: inputVersions[i] })));
    lap('commit');
    if (partitions === 'all' && !published && hooks.handsOff) {
      // The table now holds exactly these rows: the models downstream read them from memory.
      await conn.run(`DROP TABLE IF EXISTS ${kept}`);
      await conn.run(`ALTER TABLE ${OUT} RENAME TO ${kept}`);
      rewritten.set(outputTableOf(model), kept);
    }
    if (!published) await conn.run(`DROP TABLE IF EXISTS ${OUT}`);
    return { model: model.name, status: 'success', partitions, rows: result.rows, durationMs: Math.round(performance.now() - t0), outputVersion: result.version, inputVersions, tests };
  } catch (err) {
    // (Once published, the lane's connection is another model's, and the rows stay until the run ends.)
    if (!published) await conn.run(`DROP TABLE IF EXISTS ${OUT}`).catch(() => {});
    const tests = err instanceof ModelTestFailure ? err.results : [];
    return { model: model.name, status: 'failed', partitions, rows: 0, durationMs: Math.round(performance.now() - t0), error: (err as Error).message, inputVersions, tests };
  } finally {
    // Given back to the engine once used (lent again to the next model, closed with the engine).
    if (commitConnection) lane.engine.returnConnection(commitConnection);
    if (stageConnection) lane.engine.returnConnection(stageConnection);
  }
}

/**
 * Adds the output's derived columns (e.g. `date` from `window_start`) that the model's rows lack
 * and keeps only the rows of the computed partitions (`keep`): one statement rewriting the
 * table (a derived column may use one derived before it, and `keep` any of them) rather than an
 * ALTER and an UPDATE per column and a DELETE; a DELETE alone when no column is missing.
 */
async function completeRows(conn: LakeQueryEngine['connection'], table: string, def: TableDefinition, keep: string): Promise<void> {
  // (Its columns from binding a SELECT: half the time of a DESCRIBE, which runs as a query.)
  const bound = await conn.prepare(`SELECT * FROM ${table}`);
  let present: Set<string>;
  try {
    present = new Set(Array.from({ length: bound.columnCount }, (_, i) => bound.columnName(i)));
  } finally {
    bound.destroySync();
  }
  const derived = derivedColumnsSql(def, present);
  if (derived.length === 0) {
    if (keep !== 'TRUE') await conn.run(`DELETE FROM ${table} WHERE NOT (${keep})`);
    return;
  }
  await conn.run(`CREATE OR REPLACE TABLE ${table} AS SELECT *${derived.map((d) => `, ${d}`).join('')} FROM ${table} WHERE ${keep}`);
}


export function describePartitions(set: PartitionSet): string {
  if (set === 'all') return 'all partitions';
  if (set.length === 0) return 'no partitions';
  const dates = set.map((p) => p.date).filter(Boolean).sort();
  return `${set.length} partition${set.length === 1 ? '' : 's'}${dates.length ? ` (${dates[0]}${dates.length > 1 ? ` .. ${dates.at(-1)}` : ''})` : ''}`;
}

const MAX_PARTITION_LIST = 4000;

async function recordRuns(lake: Lake, summary: TransformRunSummary): Promise<void> {
  if (summary.models.length === 0) return;
  const table = await openGoldTable(lake, TRANSFORM_RUNS);
  const startedUs = summary.startedAt.getTime() * 1000;
  await table.append(
    summary.models.map((m) => {
      const list = m.partitions === 'all' ? '"all"' : JSON.stringify(m.partitions);
      return {
        run_id: summary.runId,
        model: m.model,
        status: m.status,
        full_refresh: summary.fullRefresh,
        partitions: m.partitions === 'all' ? 0 : m.partitions.length,
        partition_list: list.length > MAX_PARTITION_LIST ? `${list.slice(0, MAX_PARTITION_LIST)}…` : list,
        rows: m.rows,
        duration_ms: m.durationMs,
        started_at: startedUs,
        error: m.error ?? null,
        input_versions: JSON.stringify(m.inputVersions),
        output_version: m.outputVersion ?? null,
      };
    }),
  );
}

/** The printed summary of a run: one line per model and a total. */
export function formatRunSummary(summary: TransformRunSummary): string {
  const lines = summary.models.map(
    (m) =>
      `${m.status === 'failed' ? 'FAIL' : m.status === 'skipped' ? 'skip' : ' ok '}  ${m.model.padEnd(18)} ${describePartitions(m.partitions).padEnd(40)} ${String(m.rows).padStart(9)} rows ${String(m.durationMs).padStart(7)} ms${m.error ? `  ${m.error}` : ''}`,
  );
  const counts = (s: ModelRunStatus) => summary.models.filter((m) => m.status === s).length;
  lines.push(`run ${summary.runId}: ${counts('success')} built, ${counts('skipped')} skipped, ${counts('failed')} failed in ${summary.durationMs} ms`);
  return lines.join('\n');
}

/** Runs every model's tests over its whole table (`marketlake transform test`). */
export async function testModels(lake: Lake, models: readonly Model[], select: readonly string[] = []): Promise<TestResult[]> {
  const graph = new ModelGraph(models);
  const engine = await LakeQueryEngine.open({ lake, readOnly: false });
  try {
    const results: TestResult[] = [];
    for (const model of graph.select(select)) {
      const view = viewName(outputTableOf(model));
      const exists = (await queryJson(engine.connection, `SELECT count(*)::INTEGER AS n FROM duckdb_views() WHERE view_name = '${view}'`))[0].n as number;
      if (!exists) {
        results.push({ model: model.name, test: '(table exists)', passed: false, failures: 1, sample: [{ error: `gold/${model.name} has not been built yet` }] });
        continue;
      }
      results.push(...(await runModelTests(engine.connection, model, view)));
    }
    return results;
  } finally {
    engine.close();
  }
}
