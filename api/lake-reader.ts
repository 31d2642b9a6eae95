/**
 * The API's read access to the lake: a small pool of read-only LakeQueryEngines (each its own
 * DuckDB, so that queries from concurrent requests run side by side instead of queueing on one
 * connection), each refreshed at most every API_LAKE_REFRESH_MS before it answers. It also says
 * which table versions an answer was read from (for ETags) and lists partitions straight from
 * the Delta snapshots (symbols, date ranges) without asking DuckDB.
 */
import fs from 'node:fs';
import { DeltaTable, Lake, LakeQueryEngine, viewName, type QueryResult, type Snapshot } from '../lake/index.ts';
import { UnavailableProblem } from './problem.ts';

export interface LakeReaderOptions {
  readonly lake: Lake | string;
  /** Engines in the pool (default 2). */
  readonly engines?: number;
  /** Connections per engine for composed queries (default 2; see LakeQueryEngine's `connections`). */
  readonly connections?: number;
  /** DuckDB threads per engine (default: DuckDB's choice). */
  readonly threads?: number;
  /** Refresh a view set at most this often (ms); 0 refreshes before every request. */
  readonly refreshMs?: number;
}

interface PooledEngine {
  readonly engine: LakeQueryEngine;
  busy: number;
  refreshedAt: number;
  refreshing: Promise<void> | undefined;
}

/** One engine borrowed for a request: its queries and the table versions they read. */
export interface LakeSession {
  query(sql: string): Promise<QueryResult>;
  /**
   * The API's own composed query over some partitions of a table (see
   * LakeQueryEngine.queryPartitions): no user-SQL guard, one DuckDB round trip. Never for a
   * user's SQL text.
   */
  queryPartitions(table: string, partitions: readonly Readonly<Record<string, string>>[], sqlOf: (source: string) => string): Promise<QueryResult>;
  /** True when the view exists (gold tables appear only once a transform wrote them). */
  has(view: string): boolean;
  /** The versions of these views, e.g. `silver_candles@12` (absent views count as `-1`). */
  versions(views: readonly string[]): string;
}

/** The one (frozen) answer for a table that does not exist yet: callers may cache by identity. */
const NO_PARTITIONS: readonly Record<string, string | null>[] = Object.freeze([]);

export class LakeReader {
  private next = 0;
  private lastError: string | undefined;
  private readonly partitionCache = new Map<string, { version: number; partitions: Record<string, string | null>[] }>();

  private constructor(
    readonly lake: Lake,
    private readonly pool: PooledEngine[],
    private readonly refreshMs: number,
  ) {}

  static async open(options: LakeReaderOptions): Promise<LakeReader> {
    const lake = typeof options.lake === 'string' ? new Lake(options.lake) : options.lake;
    const n = Math.max(1, options.engines ?? 2);
    const pool: PooledEngine[] = [];
    for (let i = 0; i < n; i++) {
      // Each engine gets its own Lake handle: table handles cache snapshots and are not shared.
      const engine = await LakeQueryEngine.open({ lake: new Lake(lake.root), threads: options.threads || undefined, connections: options.connections ?? 2 });
      pool.push({ engine, busy: 0, refreshedAt: Date.now(), refreshing: undefined });
    }
    return new LakeReader(lake, pool, options.refreshMs ?? 1000);
  }

  /** Runs `fn` with the least busy engine, refreshed if its snapshot is older than refreshMs. */
  async use<T>(fn: (session: LakeSession) => Promise<T>): Promise<T> {
    const pooled = this.pick();
    pooled.busy += 1;
    try {
      await this.refreshIfStale(pooled);
      const engine = pooled.engine;
      const session: LakeSession = {
        query: async (sql) => {
          try {
            return await engine.query(sql);
          } catch (err) {
            throw lakeError(err);
          }
        },
        queryPartitions: async (table, partitions, sqlOf) => {
          try {
            return await engine.queryPartitions(table, partitions, sqlOf);
          } catch (err) {
            throw lakeError(err);
          }
        },
        has: (view) => view in engine.viewVersions(),
        versions: (views) => {
          const all = engine.viewVersions();
          return views.map((v) => `${v}@${all[v] ?? -1}`).join(',');
        },
      };
      return await fn(session);
    } finally {
      pooled.busy -= 1;
    }
  }

  /**
   * The distinct partitions of a table's current snapshot (`[{symbol, date}, ...]`), read from
   * the Delta log only; [] when the table does not exist yet.
   */
  async partitions(table: string): Promise<readonly Record<string, string | null>[]> {
    if (!(await this.existsThrottled(table))) return NO_PARTITIONS;
    const handle = await this.lake.table(table);
    const snapshot = await this.throttledRefresh(table, () => handle.refresh());
    const cached = this.partitionCache.get(table);
    if (cached && cached.version === snapshot.version) return cached.partitions;
    const partitions = snapshot.partitions();
    this.partitionCache.set(table, { version: snapshot.version, partitions });
    return partitions;
  }

  /** Current version of a table (-1 when it does not exist), from the Delta log. */
  async version(table: string): Promise<number> {
    if (!(await this.existsThrottled(table))) return -1;
    const handle = await this.lake.table(table);
    return (await this.throttledRefresh(table, () => handle.refresh())).version;
  }

  /** Readiness: the lake directory is readable and the last refresh worked. */
  health(): { status: 'ok' | 'down'; detail: string } {
    try {
      fs.accessSync(this.lake.root, fs.constants.R_OK);
    } catch {
      return { status: 'down', detail: `${this.lake.root} is not readable` };
    }
    if (this.lastError) return { status: 'down', detail: this.lastError };
    return { status: 'ok', detail: this.lake.root };
  }

  /** Whether a table exists on disk (never creates it: the API only reads). */
  exists(table: string): Promise<boolean> {
    return DeltaTable.exists(this.lake.tableDir(table));
  }

  close(): void {
    for (const p of this.pool) p.engine.close();
  }

  private readonly existence = new Map<string, { at: number; exists: Promise<boolean> }>();

  /**
   * `exists`, asked of the disk at most every refreshMs per table: /v1/ohlc lists partitions on
   * every request, and each check is a file-system call on the libuv threads the DuckDB queries
   * hold while they run (it queued behind them under load).
   */
  private existsThrottled(table: string): Promise<boolean> {
    const hit = this.existence.get(table);
    if (hit && Date.now() - hit.at < this.refreshMs) return hit.exists;
    const exists = this.exists(table);
    this.existence.set(table, { at: Date.now(), exists });
    exists.catch(() => this.existence.delete(table));
    return exists;
  }

  private readonly tableRefreshes = new Map<string, { at: number; snapshot: Promise<Snapshot> }>();

  private throttledRefresh(table: string, refresh: () => Promise<Snapshot>) {
    const hit = this.tableRefreshes.get(table);
    if (hit && Date.now() - hit.at < this.refreshMs) return hit.snapshot;
    const snapshot = refresh();
    this.tableRefreshes.set(table, { at: Date.now(), snapshot });
    snapshot.catch(() => this.tableRefreshes.delete(table));
    return snapshot;
  }

  private pick(): PooledEngine {
    let best = this.pool[this.next++ % this.pool.length];
    for (const p of this.pool) if (p.busy < best.busy) best = p;
    return best;
  }

  private async refreshIfStale(p: PooledEngine): Promise<void> {
    if (p.refreshing) return p.refreshing;
    if (Date.now() - p.refreshedAt < this.refreshMs) return;
    p.refreshing = p.engine
      .refresh()
      .then(
        () => {
          p.refreshedAt = Date.now();
          this.lastError = undefined;
        },
        (err: Error) => {
          this.lastError = `lake refresh failed: ${err.message}`;
          throw new UnavailableProblem('lake', this.lastError);
        },
      )
      .finally(() => {
        p.refreshing = undefined;
      });
    return p.refreshing;
  }
}

/** The view name of a table (`gold/indicators` → `gold_indicators`). */
export { viewName };

/** DuckDB failures reading lake files (removed, unreadable) are a dependency problem: 503. */
function lakeError(err: unknown): unknown {
  const msg = (err as Error)?.message ?? '';
  if (/IO Error|No such file|Cannot open file|could not be opened|Permission denied/i.test(msg)) return new UnavailableProblem('lake', `reading the lake failed: ${msg.split('\n')[0]}`);
  return err;
}
