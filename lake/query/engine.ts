/**
 * The DuckDB query layer over the lake: one view per table (`bronze_trades`, `silver_candles`,
 * `gold_<name>`, ...) reading exactly that table's current snapshot. `refresh()` reads only the
 * log entries committed since the last call and replaces only the views whose table changed, so
 * it is cheap enough to call before every query. Each query sees one consistent snapshot per
 * table; files removed by vacuum after the snapshot was taken make a query fail once, and the
 * engine then refreshes and retries it.
 */
import fs from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ident, literal } from '../delta/schema.ts';
import type { Snapshot } from '../delta/snapshot.ts';
import { Lake, viewName } from '../lake.ts';
import type { DeltaTable } from '../table.ts';
import { assertSingleSelect } from './readonly-guard.ts';
import { latestCandleRevisionSql, snapshotSelectSql } from './views.ts';

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
  readonly version: number;
  /** Set when the view is pinned to a past version (time travel). */
  readonly pinned: boolean;
}

export const CANDLES_ALL_REVISIONS_VIEW = 'silver_candles_all_revisions';

export class LakeQueryEngine {
  private readonly views = new Map<string, ViewState>();

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
    await conn.run(`SET TimeZone = 'UTC'`);
    if (options.threads) await conn.run(`SET threads = ${Math.max(1, Math.floor(options.threads))}`);
    const engine = new LakeQueryEngine(lake, instance, conn, options.readOnly ?? true);
    await engine.refresh();
    if (engine.readOnly) {
      // Order matters: allowed_directories must be set while external access is still on.
      await conn.run(`SET allowed_directories = [${literal(lake.root + '/')}]`);
      await conn.run(`SET enable_external_access = false`);
      await conn.run(`SET lock_configuration = true`);
    }
    return engine;
  }

  /**
   * Brings every view up to its table's latest commit (reading only new log entries) and adds
   * views for tables created since. Returns the names of the views that changed.
   */
  async refresh(): Promise<string[]> {
    const changed: string[] = [];
    for (const name of await this.lake.listTables()) {
      const table = await this.lake.table(name);
      const snapshot = await table.refresh();
      const view = viewName(name);
      const state = this.views.get(view);
      if (state && (state.pinned || state.version === snapshot.version)) continue;
      await this.defineTableView(view, table, snapshot, false);
      changed.push(view);
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

  /** The version each view currently reads. */
  viewVersions(): Record<string, number> {
    return Object.fromEntries([...this.views].map(([v, s]) => [v, s.version]));
  }

  /**
   * Runs one query. In read-only mode it must be a single SELECT. When a file of the snapshot
   * disappeared (vacuum), the views are refreshed and the query runs once more.
   */
  async query(sql: string): Promise<QueryResult> {
    // The guard prepares (binds) the statement, which already opens the view's files.
    const attempt = async () => {
      if (this.readOnly) await assertSingleSelect(this.connection, sql);
      return this.run(sql);
    };
    try {
      return await attempt();
    } catch (err) {
      if (!isMissingFileError(err)) throw err;
      await this.refresh();
      return attempt();
    }
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async run(sql: string): Promise<QueryResult> {
    const reader = await this.connection.runAndReadAll(sql);
    return {
      columns: reader.columnNames(),
      columnTypes: reader.columnTypes().map((t) => t.toString()),
      rows: reader.getRowObjectsJson() as Record<string, unknown>[],
    };
  }

  private async defineTableView(view: string, table: DeltaTable, snapshot: Snapshot, pinned: boolean): Promise<void> {
    const select = snapshotSelectSql(table.dir, snapshot);
    if (view === 'silver_candles') {
      await this.connection.run(`CREATE OR REPLACE VIEW ${ident(CANDLES_ALL_REVISIONS_VIEW)} AS ${select}`);
      await this.connection.run(`CREATE OR REPLACE VIEW ${ident(view)} AS ${latestCandleRevisionSql(CANDLES_ALL_REVISIONS_VIEW)}`);
    } else {
      await this.connection.run(`CREATE OR REPLACE VIEW ${ident(view)} AS ${select}`);
    }
    this.views.set(view, { table: table.dir, version: snapshot.version, pinned });
  }
}

function isMissingFileError(err: unknown): boolean {
  const msg = (err as Error)?.message ?? '';
  return /No files found|No such file|does not exist|Cannot open file|could not be opened/i.test(msg);
}
