/**
 * The DuckDB query layer over the lake: one view per table (`bronze_trades`, `silver_candles`,
 * `gold_<name>`, ...) reading exactly that table's current snapshot. `refresh()` reads only the
 * log entries committed since the last call and replaces only the views whose table changed, so
 * it is cheap enough to call before every query. Each query sees one consistent snapshot per
 * table; files removed by vacuum after the snapshot was taken make a query fail once, and the
 * engine then refreshes and retries it.
 */
import fs from 'node:fs';
import { DuckDBInstance, type DuckDBConnection, type DuckDBResultReader } from '@duckdb/node-api';
import { sqlIdentifier, sqlLiteral } from '../sql.ts';
import { CorruptLogError } from '../delta/corrupt-log.ts';
import { duckdbType } from '../delta/schema.ts';
import type { Snapshot } from '../delta/snapshot.ts';
import type { AddAction } from '../delta/actions.ts';
import { Lake, viewName } from '../lake.ts';
import { KNOWN_TABLES } from '../tables/index.ts';
import { DeltaTable } from '../table.ts';
import { assertSelectStatement, parseSingleSelect, prepareSelect } from './readonly-guard.ts';
import { QueryTimeoutError, UnknownViewError, closestName } from './errors.ts';
import { findPrunableScans, type PartitionedView } from './pruning.ts';
import { filesSelectSql, latestCandleRevisionSql, snapshotSelectSql } from './views.ts';

export interface LakeQueryEngineOptions {
  /** The lake (or its root directory). */
  readonly lake: Lake | string;
  /**
   * Read-only (default true): the DuckDB cannot read files outside the lake nor change its own
   * settings, and `query()` accepts a single SELECT only. Transforms that write gold tables
   * through `DeltaTable.appendFromSql` need `readOnly: false`.
   */
  readonly readOnly?: boolean;
  /** DuckDB threads (default: DuckDB's choice). */
  readonly threads?: number;
  /**
   * DuckDB's memory limit, in its syntax (e.g. `2GB`); a query needing more fails with an
   * out-of-memory error instead of taking the machine (DuckDB's own default is 80% of RAM).
   */
  readonly memoryLimit?: string;
  /**
   * Whether results without ORDER BY keep the files' row order (DuckDB's `preserve_insertion_order`,
   * default true). A reader whose every ordered result says ORDER BY (the quality checks) sets it
   * false: materialising a table (createTempTable) then runs without re-ordering its rows.
   */
  readonly preserveInsertionOrder?: boolean;
  /**
   * Connections (of this one DuckDB) that `queryPartitions` runs on side by side (default 1).
   * Each query holds one of Node's libuv threads while it runs: keep it at or below
   * UV_THREADPOOL_SIZE (4 by default), with room for file I/O.
   */
  readonly connections?: number;
}

export interface QueryOptions {
  /** Interrupt the query after this long (QueryTimeoutError). */
  readonly timeoutMs?: number;
}

export interface QueryResult {
  readonly columns: string[];
  readonly columnTypes: string[];
  /** Rows as JSON-friendly values: DECIMAL, BIGINT and HUGEINT as strings (exact), timestamps as ISO-like strings. */
  readonly rows: Record<string, unknown>[];
}

/** What a view was built from, so refresh can tell whether it changed. */
interface ViewState {
  readonly table: string;
  readonly snapshot: Snapshot;
  readonly version: number;
  /** Set when the view is pinned to a past version (time travel). */
  readonly pinned: boolean;
}

export const CANDLES_ALL_REVISIONS_VIEW = 'silver_candles_all_revisions';

const REWRITE_CACHE_SIZE = 256;

/** A table's live files by partition (values of its partition columns joined by NUL), built once per snapshot. */
const filesByPartition = new WeakMap<Snapshot, Map<string, AddAction[]>>();

function partitionIndex(snapshot: Snapshot): Map<string, AddAction[]> {
  let index = filesByPartition.get(snapshot);
  if (!index) {
    index = new Map();
    for (const f of snapshot.files.values()) {
      const key = snapshot.partitionColumns.map((c) => f.partitionValues[c] ?? '').join('\u0000');
      let list = index.get(key);
      if (!list) index.set(key, (list = []));
      list.push(f);
    }
    filesByPartition.set(snapshot, index);
  }
  return index;
}

export class LakeQueryEngine {
  private readonly views = new Map<string, ViewState>();
  /** Views of known tables that do not exist on disk yet (typed, empty). */
  private readonly placeholderViews = new Set<string>();
  /** Views of tables whose log is damaged: querying them fails with this error. */
  private readonly damaged = new Map<string, CorruptLogError>();
  /** Query text + view versions → the pruned SQL and the temp views it uses (a small plan cache). */
  private readonly rewrites = new Map<string, { sql: string | undefined; tempViews: string[] }>();
  private tempViewSeq = 0;
  /** Extra connections of this DuckDB for composed queries (queryPartitions), idle ones here. */
  private readonly idleConnections: DuckDBConnection[] = [];
  private openConnections = 0;
  private readonly connectionWaiters: ((c: DuckDBConnection) => void)[] = [];
  private maxConnections = 1;
  /** Connections handed out by `openConnection`, closed with the engine. */
  private readonly ownedConnections: DuckDBConnection[] = [];
  /** The session settings every connection of this engine gets (DuckDB keeps some per connection). */
  private sessionSettings: string[] = [];
  /** Holders of a lower thread count (limitThreads), and the count to go back to after the last. */
  private threadLimits = 0;
  private threadsBefore: Promise<number> | undefined;
  /** The thread count the engine was opened with (LakeQueryEngineOptions.threads), if one was given. */
  private openedThreads: number | undefined;
  /** The connection for instance-wide settings (settingsConnection), once asked for; and once open. */
  private settings: Promise<DuckDBConnection> | undefined;
  private settingsConn: DuckDBConnection | undefined;
  /** Idle connections given back (borrowConnection). */
  private readonly lent: DuckDBConnection[] = [];
  /** The refresh of every table under way: such refreshes run one at a time. */
  private refreshing: Promise<unknown> = Promise.resolve();
  /**
   * Views brought up to their table's snapshot (what `tableSnapshot`, `partitionsRelation` and
   * `viewVersions` give) whose DuckDB definition was left for later (refresh's `deferDefinition`)
   * → their table: defined once SQL names them.
   */
  private readonly deferred = new Map<string, DeltaTable>();
  /** Per view, the last (re)definition queued: a view is replaced by one connection at a time. */
  private readonly viewLocks = new Map<string, Promise<unknown>>();

  private constructor(
    readonly lake: Lake,
    readonly instance: DuckDBInstance,
    /** The connection the views live on; share it for read queries (DuckDB runs them serially per connection). */
    readonly connection: DuckDBConnection,
    readonly readOnly: boolean,
  ) {}

  static async open(options: LakeQueryEngineOptions): Promise<LakeQueryEngine> {
    const lake = typeof options.lake === 'string' ? new Lake(options.lake) : options.lake;
    fs.mkdirSync(lake.root, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    const session = [`SET TimeZone = 'UTC'`];
    if (options.preserveInsertionOrder === false) session.push(`SET preserve_insertion_order = false`);
    for (const sql of session) await conn.run(sql);
    if (options.threads) await conn.run(`SET threads = ${Math.max(1, Math.floor(options.threads))}`);
    if (options.memoryLimit) await conn.run(`SET memory_limit = ${sqlLiteral(options.memoryLimit)}`);
    const engine = new LakeQueryEngine(lake, instance, conn, options.readOnly ?? true);
    engine.sessionSettings = session;
    if (options.threads) engine.openedThreads = Math.max(1, Math.floor(options.threads));
    engine.maxConnections = Math.max(1, Math.floor(options.connections ?? 1));
    await engine.refresh();
    if (engine.readOnly) {
      // Order matters: allowed_directories must be set while external access is still on.
      await conn.run(`SET allowed_directories = [${sqlLiteral(lake.root + '/')}]`);
      await conn.run(`SET enable_external_access = false`);
      await conn.run(`SET lock_configuration = true`);
    }
    return engine;
  }

  /**
   * Another connection of this engine's DuckDB, with the same views and session settings: work
   * that runs side by side on one engine (a transform run's independent models), each with its
   * own temp tables. A read-write engine only (a read-only one has its configuration locked).
   * Closed with the engine.
   */
  async openConnection(): Promise<DuckDBConnection> {
    if (this.readOnly) throw new Error('openConnection: a read-only engine hands out no connections (use queryPartitions)');
    const conn = await this.instance.connect();
    this.ownedConnections.push(conn);
    for (const sql of this.sessionSettings) await conn.run(sql);
    return conn;
  }

  /**
   * Sets DuckDB's thread count (an instance-wide setting) to `threads` until the returned release
   * is called: work that runs on several connections at once, each connection's queries small (a
   * transform run of a few partitions on two lanes), fills the cores with one thread per
   * connection, where every query's own workers cost CPU in waking and handing tasks over. Holders
   * at once share one limit (the first one's); the last release restores the count from before.
   * An engine opened with no more threads than that is left alone: no statement at all (setting
   * the count and setting it back cost an hourly gold build ~5-10 ms, the pool's threads stopped
   * and started again).
   */
  async limitThreads(threads: number): Promise<() => Promise<void>> {
    if (this.openedThreads !== undefined && this.openedThreads <= Math.max(1, Math.floor(threads))) return async () => {};
    if (this.threadLimits++ === 0) {
      this.threadsBefore = (async () => {
        const conn = await this.settingsConnection();
        const before = Number((await conn.runAndReadAll(`SELECT current_setting('threads')::INTEGER`)).getRows()[0][0]);
        await conn.run(`SET threads = ${Math.max(1, Math.floor(threads))}`);
        return before;
      })();
    }
    const before = await this.threadsBefore!;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      if (--this.threadLimits === 0) await (await this.settingsConnection()).run(`SET threads = ${before}`);
    };
  }

  /**
   * A connection of its own for instance-wide settings (limitThreads): the main connection may be
   * running another statement (a transform lane's, a query's), and DuckDB refuses a connection's
   * second statement while its first is under way.
   */
  private settingsConnection(): Promise<DuckDBConnection> {
    this.settings ??= this.instance.connect().then((conn) => (this.settingsConn = conn));
    return this.settings;
  }

  /**
   * A connection for work that leaves nothing behind on it (no temp table, no setting of its own
   * but those every borrower applies): an idle one given back earlier when there is one, else a
   * new one with the session's settings. Opening one is three statements through Node's thread
   * pool, which a busy moment (an hourly build: two connections a model) queues behind running
   * queries. Give it back with `returnConnection`; idle ones close with the engine.
   */
  async borrowConnection(): Promise<DuckDBConnection> {
    return this.lent.pop() ?? (await this.openConnection());
  }

  /** Takes back a connection of `borrowConnection` (kept idle for the next borrower). */
  returnConnection(conn: DuckDBConnection): void {
    if (this.ownedConnections.includes(conn) && !this.lent.includes(conn)) this.lent.push(conn);
  }

  /** How many connections `openConnection` handed out are still open. */
  get openedConnections(): number {
    return this.ownedConnections.length - this.lent.length;
  }

  /** Closes a connection `openConnection` handed out (its temp tables go with it). */
  closeConnection(conn: DuckDBConnection): void {
    const idle = this.lent.indexOf(conn);
    if (idle >= 0) this.lent.splice(idle, 1);
    const i = this.ownedConnections.indexOf(conn);
    if (i < 0) return;
    this.ownedConnections.splice(i, 1);
    conn.closeSync();
  }

  /**
   * Brings every view up to its table's latest commit (reading only new log entries) and adds
   * views for tables created since; with `tables`, only those tables' views (the work about to
   * read them: other views are left for later), defined on `connection` (one of
   * `openConnection`'s: the catalog is shared) so that work on other connections refreshes side
   * by side. Returns the names of the views that changed. Each view is replaced by one
   * refresh at a time. `deferDefinition` (with `tables`): a view that exists moves to its table's
   * new snapshot (its files, its version) but is defined again in DuckDB only once SQL names it
   * (through `query`, `createTempTable`, a connection of `definingViews`) or a later refresh
   * without it: defining a view of thousands of files costs milliseconds a hundred files, and
   * work that reads the table's files through `partitionsRelation` never needs it.
   */
  async refresh(tables?: readonly string[], connection: DuckDBConnection = this.connection, options: { deferDefinition?: boolean } = {}): Promise<string[]> {
    if (tables) {
      const changed: string[] = [];
      // One at a time on the connection (a connection runs one statement at a time anyway).
      for (const t of new Set(tables)) changed.push(...(await this.refreshTable(t, connection, options.deferDefinition ?? false)));
      return changed;
    }
    const run = this.refreshing.then(() => this.refreshViews());
    this.refreshing = run.catch(() => {});
    return run;
  }

  /** Runs `define` once the view's earlier (re)definitions have finished. */
  private lockView<T>(view: string, define: () => Promise<T>): Promise<T> {
    const run = (this.viewLocks.get(view) ?? Promise.resolve()).then(define, define);
    this.viewLocks.set(view, run.catch(() => {}));
    return run;
  }

  /** One table's view brought up to date (a table not on disk yet keeps its placeholder). */
  private async refreshTable(name: string, conn: DuckDBConnection, defer = false): Promise<string[]> {
    const view = viewName(name);
    if (!this.views.has(view) && !this.damaged.has(view) && !(await DeltaTable.exists(this.lake.tableDir(name)))) return [];
    return this.refreshTableView(name, conn, defer);
  }

  /**
   * The view of a table on disk (re)defined on `conn` when its log moved on, one definition of a
   * view at a time; a damaged log gets the failing view (one damaged table must not take the
   * others down). Returns the view's name when it changed.
   */
  private async refreshTableView(name: string, conn: DuckDBConnection, defer = false): Promise<string[]> {
    const view = viewName(name);
    let table: DeltaTable;
    let snapshot: Snapshot;
    try {
      table = await this.lake.table(name);
      snapshot = await table.refresh();
    } catch (err) {
      if (!(err instanceof CorruptLogError)) throw err;
      return this.lockView(view, async () => {
        if (this.damaged.get(view)?.message === err.message) return [];
        await this.defineDamagedView(view, name, err, conn);
        return [view];
      });
    }
    return this.lockView(view, async () => {
      const state = this.views.get(view);
      if (state?.pinned) return [];
      if (state && state.version >= snapshot.version) {
        // Up to date but its definition deferred: defined now, unless deferred again.
        const deferredTable = this.deferred.get(view);
        if (!defer && deferredTable) await this.defineTableView(view, deferredTable, state.snapshot, false, conn);
        return [];
      }
      // (A view defined before only when its columns stay the same: its DuckDB definition stays
      // typed alike until then. silver_candles' latest-revision view follows its columns.)
      const sameColumns = state ? JSON.stringify(state.snapshot.columns) === JSON.stringify(snapshot.columns) : view !== 'silver_candles';
      if (defer && sameColumns) {
        this.views.set(view, { table: table.dir, snapshot, version: snapshot.version, pinned: false });
        this.deferred.set(view, table);
        return [view];
      }
      await this.defineTableView(view, table, snapshot, false, conn);
      return [view];
    });
  }

  /** The views whose definition is deferred (refresh's `deferDefinition`). */
  deferredViews(): string[] {
    return [...this.deferred.keys()];
  }

  /** Defines the deferred views among `views` (default all) on `conn`, at the snapshots they were brought to. */
  async defineDeferred(views: Iterable<string> = this.deferredViews(), conn: DuckDBConnection = this.connection): Promise<void> {
    for (const view of views) {
      if (!this.deferred.has(view)) continue;
      await this.lockView(view, async () => {
        const table = this.deferred.get(view);
        const state = this.views.get(view);
        if (table && state) await this.defineTableView(view, table, state.snapshot, false, conn);
      });
    }
  }

  /** Defines the deferred views whose names `sql` contains (silver_candles also in silver_candles_all_revisions). */
  async defineDeferredNamedIn(sql: string, conn: DuckDBConnection = this.connection): Promise<void> {
    if (this.deferred.size === 0) return;
    const text = sql.toLowerCase();
    const named = this.deferredViews().filter((v) => text.includes(v));
    if (named.length > 0) await this.defineDeferred(named, conn);
  }

  /**
   * `conn` (of this engine) defining the deferred views a statement names before running it: for
   * code that may name any view (a transform's build) while its run deferred their definitions.
   */
  definingViews(conn: DuckDBConnection): DuckDBConnection {
    return new Proxy(conn, {
      get: (target, prop) => {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (typeof prop !== 'string' || !SQL_METHODS.has(prop)) return value.bind(target);
        return async (sql: unknown, ...rest: unknown[]) => {
          if (typeof sql === 'string') await this.defineDeferredNamedIn(sql, target);
          return value.call(target, sql, ...rest);
        };
      },
    });
  }

  private async refreshViews(): Promise<string[]> {
    const changed: string[] = [];
    for (const name of await this.lake.listTables()) changed.push(...(await this.refreshTableView(name, this.connection)));
    // The contract's tables are queryable from the first minute: until a table has its first
    // commit its view is empty but typed, so `SELECT * FROM silver_candles` works on a new lake.
    for (const [name, def] of Object.entries(KNOWN_TABLES)) {
      const view = viewName(name);
      if (this.views.has(view) || this.placeholderViews.has(view) || this.damaged.has(view)) continue;
      const empty = filesSelectSql('', { columns: def.columns, partitionColumns: def.partitionColumns ?? [] }, []);
      await this.lockView(view, async () => {
        // (Checked again: a refresh of that table may have defined it meanwhile.)
        if (this.views.has(view) || this.placeholderViews.has(view) || this.damaged.has(view)) return;
        if (view === 'silver_candles') {
          await this.connection.run(`CREATE OR REPLACE VIEW ${sqlIdentifier(CANDLES_ALL_REVISIONS_VIEW)} AS ${empty}`);
          await this.connection.run(`CREATE OR REPLACE VIEW ${sqlIdentifier(view)} AS ${latestCandleRevisionSql(CANDLES_ALL_REVISIONS_VIEW)}`);
        } else {
          await this.connection.run(`CREATE OR REPLACE VIEW ${sqlIdentifier(view)} AS ${empty}`);
        }
        this.placeholderViews.add(view);
        changed.push(view);
      });
    }
    return changed;
  }

  /**
   * Time travel: points the table's view (or a view named `as`) at a past version or at the
   * version current at a timestamp. A pinned view is left alone by refresh until `unpin`.
   */
  async pin(tableName: string, at: { version: number } | { timestamp: Date | number }, as?: string): Promise<Snapshot> {
    const table = await this.lake.table(tableName);
    const snapshot = 'version' in at ? await table.snapshotAt(at.version) : await table.snapshotAsOf(at.timestamp);
    await this.defineTableView(as ?? viewName(tableName), table, snapshot, true);
    return snapshot;
  }

  /** Returns a pinned view to following the latest version. */
  async unpin(tableName: string): Promise<void> {
    const view = viewName(tableName);
    const table = await this.lake.table(tableName);
    await this.defineTableView(view, table, await table.refresh(), false);
  }

  /** The snapshot of a table (e.g. 'bronze/trades') the views currently read: its files, partitions and file statistics. */
  tableSnapshot(tableName: string): Snapshot | undefined {
    return this.views.get(viewName(tableName))?.snapshot;
  }

  /** The version each view currently reads. */
  viewVersions(): Record<string, number> {
    return Object.fromEntries([...this.views].map(([v, s]) => [v, s.version]));
  }

  /**
   * Runs one query. In read-only mode it must be a single SELECT. When a file of the snapshot
   * disappeared (vacuum), the views are refreshed and the query runs once more.
   */
  async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    await this.defineDeferred();
    const timeoutMs = options.timeoutMs;
    if (timeoutMs === undefined || timeoutMs <= 0) return this.explained(() => this.queryOnce(sql));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.connection.interrupt();
    }, timeoutMs);
    try {
      return await this.explained(() => this.queryOnce(sql));
    } catch (err) {
      if (timedOut) throw new QueryTimeoutError(timeoutMs);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs a query its caller composed itself from validated values (never a user's text) over the
   * given partitions of one table: `sqlOf` gets the source to select from (a parenthesised
   * `read_parquet` over exactly those partitions' files of the current snapshot, with the
   * table's columns) and returns the statement. No single-SELECT guard and no pruning rewrite
   * (four round trips to DuckDB that only a user's SQL needs; here the caller names its
   * partitions), one round trip on a connection of a small pool, so that concurrent callers run
   * side by side. The read-only sandbox (no files outside the lake, configuration locked) holds
   * all the same. Files vacuumed since the snapshot: refreshed and run once more.
   */
  async queryPartitions(tableName: string, partitions: readonly Readonly<Record<string, string>>[], sqlOf: (source: string) => string): Promise<QueryResult> {
    const build = () => sqlOf(this.partitionsRelation(tableName, partitions));
    const conn = await this.acquireConnection();
    try {
      try {
        return resultOf(await conn.runAndReadAll(build()));
      } catch (err) {
        if (!isMissingFileError(err)) throw err;
        await this.refresh();
        return resultOf(await conn.runAndReadAll(build()));
      }
    } finally {
      this.releaseConnection(conn);
    }
  }

  /**
   * A parenthesised relation over exactly the files of the given partitions (every partition
   * column named) of a table's view, with the table's columns: a query of a few partitions of a
   * table of hundreds of files binds only their files (binding the view's whole file list costs
   * DuckDB ~10 µs a file, every query). A table without a commit yet: its typed, empty view.
   */
  partitionsRelation(tableName: string, partitions: readonly Readonly<Record<string, string>>[]): string {
    const view = viewName(tableName);
    const state = this.views.get(view);
    if (!state) {
      const damage = this.damaged.get(view);
      if (damage) throw damage;
      if (this.placeholderViews.has(view)) return `(SELECT * FROM ${sqlIdentifier(view === 'silver_candles' ? CANDLES_ALL_REVISIONS_VIEW : view)})`;
      throw new UnknownViewError(view, [...this.views.keys()].sort(), closestName(view, [...this.views.keys()]));
    }
    const index = partitionIndex(state.snapshot);
    const files: AddAction[] = [];
    for (const p of partitions) files.push(...(index.get(state.snapshot.partitionColumns.map((c) => p[c] ?? '').join('\u0000')) ?? []));
    return `(${filesSelectSql(state.table, state.snapshot, files)})`;
  }

  /**
   * A parenthesised relation over exactly the given files of a table's view (files of its
   * current snapshot, e.g. the few of a month that hold a day), with the table's columns.
   */
  filesRelation(tableName: string, files: readonly AddAction[]): string {
    const state = this.views.get(viewName(tableName));
    if (!state) throw new UnknownViewError(viewName(tableName), [...this.views.keys()].sort(), closestName(viewName(tableName), [...this.views.keys()]));
    return `(${filesSelectSql(state.table, state.snapshot, files)})`;
  }

  private async acquireConnection(): Promise<DuckDBConnection> {
    const idle = this.idleConnections.pop();
    if (idle) return idle;
    if (this.openConnections < this.maxConnections) {
      this.openConnections += 1;
      try {
        return await this.instance.connect();
      } catch (err) {
        this.openConnections -= 1;
        throw err;
      }
    }
    return new Promise((resolve) => this.connectionWaiters.push(resolve));
  }

  private releaseConnection(conn: DuckDBConnection): void {
    const waiter = this.connectionWaiters.shift();
    if (waiter) waiter(conn);
    else this.idleConnections.push(conn);
  }

  /**
   * DuckDB's "Table with name X does not exist! Did you mean pg_tables?" as the lake's own views;
   * a damaged table's view failing as the table's CorruptLogError.
   */
  private async explained<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      for (const damage of this.damaged.values()) if (((err as Error)?.message ?? '').includes(damage.message)) throw damage;
      const m = /Table with name (\S+?) does not exist/.exec((err as Error)?.message ?? '');
      if (!m) throw err;
      const views = [...new Set([...this.views.keys(), ...this.placeholderViews])].sort();
      throw new UnknownViewError(m[1], views, closestName(m[1], views));
    }
  }

  /**
   * Materialises a SELECT over the views (pruned and guarded like `query`) as a TEMP table of this
   * engine's connection: several queries that read the same rows then decode the Parquet once
   * (e.g. one quality run's candles). The table holds the views' snapshot of this moment; a later
   * `refresh` does not change it. Drop it with `dropTempTable`.
   */
  async createTempTable(name: string, selectSql: string): Promise<void> {
    await this.defineDeferred();
    await this.explained(async () => {
      const attempt = async () => {
        const ast = await parseSingleSelect(this.connection, selectSql);
        const toRun = (await this.prunedCached(selectSql, ast)) ?? selectSql;
        await assertSelectStatement(this.connection, toRun);
        await this.connection.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdentifier(name)} AS ${toRun}`);
      };
      try {
        await attempt();
      } catch (err) {
        if (!isMissingFileError(err)) throw err;
        await this.refresh();
        await attempt();
      }
    });
  }

  async dropTempTable(name: string): Promise<void> {
    await this.connection.run(`DROP TABLE IF EXISTS temp.${sqlIdentifier(name)}`);
  }

  private async queryOnce(sql: string): Promise<QueryResult> {
    // Binding (also in the guard's prepare) already opens the view's files, so all of it retries.
    const attempt = async () => {
      let ast: Record<string, unknown> | undefined;
      try {
        ast = await parseSingleSelect(this.connection, sql);
      } catch (err) {
        if (this.readOnly) throw err;
      }
      const toRun = (ast && (await this.prunedCached(sql, ast))) ?? sql;
      if (!this.readOnly) return this.run(toRun);
      // The statement checked is the statement run: prepared (and bound) once.
      const prepared = await prepareSelect(this.connection, toRun);
      try {
        return resultOf(await prepared.runAndReadAll());
      } finally {
        prepared.destroySync();
      }
    };
    try {
      return await attempt();
    } catch (err) {
      if (!isMissingFileError(err)) throw err;
      await this.refresh();
      return attempt();
    }
  }

  /**
   * The query rewritten so that scans of lake views with constant partition filters read only the
   * matching files (see pruning.ts), or undefined when nothing can be pruned.
   */
  private async prunedCached(sql: string, ast: Record<string, unknown>): Promise<string | undefined> {
    const key = `${JSON.stringify(this.viewVersions())}\u0000${sql}`;
    const hit = this.rewrites.get(key);
    if (hit) {
      this.rewrites.delete(key);
      this.rewrites.set(key, hit);
      return hit.sql;
    }
    const tempViews: string[] = [];
    const rewritten = await this.pruned(ast, tempViews);
    this.rewrites.set(key, { sql: rewritten, tempViews });
    if (this.rewrites.size > REWRITE_CACHE_SIZE) {
      const [oldKey, old] = this.rewrites.entries().next().value!;
      this.rewrites.delete(oldKey);
      for (const v of old.tempViews) await this.connection.run(`DROP VIEW IF EXISTS temp.${sqlIdentifier(v)}`);
    }
    return rewritten;
  }

  private async pruned(ast: Record<string, unknown>, tempViews: string[]): Promise<string | undefined> {
    const prunable = new Map<string, PartitionedView>();
    for (const [name, state] of this.views) {
      if (state.snapshot.partitionColumns.length === 0) continue;
      const types = Object.fromEntries(state.snapshot.columns.filter((c) => state.snapshot.partitionColumns.includes(c.name)).map((c) => [c.name, c.type]));
      // silver_candles is a window over every revision, not a scan of files; the scan is
      // silver_candles_all_revisions, which prunes like the table (the API's candle queries read it).
      prunable.set(name === 'silver_candles' ? CANDLES_ALL_REVISIONS_VIEW : name, { partitionColumns: state.snapshot.partitionColumns, types });
    }
    const scans = findPrunableScans(ast, prunable);
    if (scans.length === 0) return undefined;
    for (const { node, view, predicates } of scans) {
      const state = this.views.get(view === CANDLES_ALL_REVISIONS_VIEW ? 'silver_candles' : view)!;
      const files = [...state.snapshot.files.values()].filter((f) => predicates.every((pr) => pr.test(f.partitionValues[pr.column] ?? null)));
      const name = `__pruned_${view}_${++this.tempViewSeq}`;
      tempViews.push(name);
      await this.connection.run(`CREATE OR REPLACE TEMP VIEW ${sqlIdentifier(name)} AS ${filesSelectSql(state.table, state.snapshot, files)}`);
      if (!node.alias) node.alias = view;
      node.table_name = name;
      node.schema_name = '';
      node.catalog_name = '';
    }
    const reader = await this.connection.runAndReadAll('SELECT json_deserialize_sql($1::JSON) AS q', [
      // JSON.parse turned DuckDB's "no location" (2^64 - 1) into a float; write it back exactly. And a
      // DOUBLE constant with an integral value (`1e16`) came back from JSON.stringify without its
      // ".0": DuckDB then reads an integer where the constant's type says double and refuses it.
      JSON.stringify(ast)
        .replace(/"query_location":18446744073709552000/g, '"query_location":18446744073709551615')
        .replace(/("type":\{"id":"(?:DOUBLE|FLOAT)","type_info":null\},"is_null":false,"value":)(-?\d+)(?=[,}])/g, '$1$2.0'),
    ]);
    return String(reader.getRowsJson()[0][0]);
  }

  close(): void {
    this.settingsConn?.closeSync();
    for (const c of this.idleConnections.splice(0)) c.closeSync();
    this.lent.splice(0);
    for (const c of this.ownedConnections.splice(0)) c.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async run(sql: string): Promise<QueryResult> {
    return resultOf(await this.connection.runAndReadAll(sql));
  }

  /**
   * The view of a table whose log is damaged: typed like the table (when its columns are known)
   * so that queries still bind, and failing with the error as soon as a query reads a row.
   */
  private async defineDamagedView(view: string, name: string, err: CorruptLogError, conn = this.connection): Promise<void> {
    // error() in the filter AND in every column: a filter on a column (a constant NULL would be
    // folded to "no rows" without evaluating anything) still has to evaluate it.
    const fail = `error(${sqlLiteral(err.message)})`;
    const columns = this.views.get(view)?.snapshot.columns ?? KNOWN_TABLES[name]?.columns;
    const select = columns?.length ? columns.map((c) => `${fail}::${duckdbType(c.type)} AS ${sqlIdentifier(c.name)}`).join(', ') : `${fail}::VARCHAR AS damaged`;
    const failing = `SELECT ${select} FROM range(1) WHERE ${fail}`;
    if (view === 'silver_candles') {
      await conn.run(`CREATE OR REPLACE VIEW ${sqlIdentifier(CANDLES_ALL_REVISIONS_VIEW)} AS ${failing}`);
    }
    await conn.run(`CREATE OR REPLACE VIEW ${sqlIdentifier(view)} AS ${failing}`);
    this.views.delete(view);
    this.deferred.delete(view);
    this.placeholderViews.delete(view);
    this.damaged.set(view, err);
  }

  private async defineTableView(view: string, table: DeltaTable, snapshot: Snapshot, pinned: boolean, conn = this.connection): Promise<void> {
    const select = snapshotSelectSql(table.dir, snapshot);
    if (view === 'silver_candles') {
      const before = this.views.get(view)?.snapshot.columns;
      await conn.run(`CREATE OR REPLACE VIEW ${sqlIdentifier(CANDLES_ALL_REVISIONS_VIEW)} AS ${select}`);
      // silver_candles reads silver_candles_all_revisions by name: defined again only when its
      // columns change (binding it binds the file list again: milliseconds on every commit).
      if (!before || JSON.stringify(before) !== JSON.stringify(snapshot.columns)) {
        await conn.run(`CREATE OR REPLACE VIEW ${sqlIdentifier(view)} AS ${latestCandleRevisionSql(CANDLES_ALL_REVISIONS_VIEW)}`);
      }
    } else {
      await conn.run(`CREATE OR REPLACE VIEW ${sqlIdentifier(view)} AS ${select}`);
    }
    this.views.set(view, { table: table.dir, snapshot, version: snapshot.version, pinned });
    this.deferred.delete(view);
    this.placeholderViews.delete(view);
    this.damaged.delete(view);
  }
}

/** The methods of a DuckDBConnection that take a statement's SQL first. */
const SQL_METHODS = new Set([
  'run', 'runAndRead', 'runAndReadAll', 'runAndReadUntil', 'stream', 'streamAndRead', 'streamAndReadAll', 'streamAndReadUntil',
  'start', 'startThenRead', 'startThenReadAll', 'startThenReadUntil', 'startStream', 'startStreamThenRead', 'startStreamThenReadAll', 'startStreamThenReadUntil',
  'prepare', 'extractStatements',
]);

function resultOf(reader: DuckDBResultReader): QueryResult {
  return {
    columns: reader.columnNames(),
    columnTypes: reader.columnTypes().map((t) => t.toString()),
    rows: reader.getRowObjectsJson() as Record<string, unknown>[],
  };
}

function isMissingFileError(err: unknown): boolean {
  const msg = (err as Error)?.message ?? '';
  return /No files found|No such file|does not exist|Cannot open file|could not be opened/i.test(msg);
}
