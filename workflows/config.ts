/** The worker's configuration (`marketlake worker`, `marketlake backfill --local`), parsed at start. */
import path from 'node:path';
import { z } from 'zod';
import { baseEnvSchema, parseEnv } from '../common/config.ts';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const workerEnvSchema = baseEnvSchema.extend({
  /** data.binance.vision or a mirror with the same layout. */
  BINANCE_ARCHIVE_URL: z.string().url().default('https://data.binance.vision'),
  BINANCE_REST_BASE_URL: z.string().url().default('https://api.binance.com'),
  /** Downloaded archives, verified, kept for reruns. Default: <MARKETLAKE_CACHE_DIR>/binance-archives. */
  BACKFILL_CACHE_DIR: z.string().min(1).optional(),
  /** Activities the `marketlake-backfill` queue runs at once in this worker (backfills never take the main queue's slots). */
  BACKFILL_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(64).default(4),
  /** Largest backfill (symbols × days) one workflow accepts. */
  BACKFILL_MAX_PARTITIONS: z.coerce.number().int().min(1).default(20_000),
  /** Work items per workflow run before it continues as new (keeps the history small). */
  BACKFILL_ITEMS_PER_RUN: z.coerce.number().int().min(1).default(200),
  BACKFILL_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  /** Threads of the DuckDB a backfill's work items stage and write with (items run in parallel; see backfill/backfill-duckdb.ts). */
  BACKFILL_DUCKDB_THREADS: z.coerce.number().int().min(1).max(256).default(1),
  /** Activities the `marketlake` queue runs at once. */
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(64).default(4),
  /**
   * DuckDB's memory limit for the gold engine the worker keeps open (hourly gold builds; its
   * caches live as long as the worker): a size such as 4GB. A full refresh opens an engine of its own.
   */
  WORKER_GOLD_MEMORY_LIMIT: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'a size such as 4GB').default('4GB'),
  /** Temporal Web UI base, for the links the CLI prints. */
  TEMPORAL_UI_URL: z.string().url().optional(),
  /** Ensure the schedules at start (default true). */
  WORKER_ENSURE_SCHEDULES: bool.default(true),
  /** Consume market.gaps.v1 and start backfills for open gaps (default true). */
  WORKER_GAP_REPAIR: bool.default(true),
  GAPS_TOPIC: z.string().min(1).default('market.gaps.v1'),
  /** Maintenance: vacuum keeps files removed less than this long ago (readers of older snapshots). */
  MAINTENANCE_VACUUM_RETENTION_HOURS: z.coerce.number().min(0).default(168),
  /** Maintenance: per-table data retention in days, e.g. `bronze/trades=30,silver/candles=0` (0 or absent: keep forever). Off by default. */
  MAINTENANCE_DATA_RETENTION: z.string().default(''),
  /** Hourly compaction looks at partitions written in the last N hours. */
  MAINTENANCE_RECENT_HOURS: z.coerce.number().int().min(1).default(3),
  /** Quality checks: overrides of severities, blocking flags and thresholds (inline JSON or a .json/.yaml path; transforms/checks/config.ts). */
  QUALITY_CONFIG: z.string().optional(),
  /** The stream's fill gap (see streaming/config.ts): silver_matches_bronze applies the same rule. Unset: the default. */
  STREAM_MAX_FILL_GAP_MS: z.string().optional(),
});

export type WorkerConfig = z.infer<typeof workerEnvSchema> & { readonly archiveCacheDir: string };

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const c = parseEnv(workerEnvSchema, env);
  return { ...c, archiveCacheDir: path.resolve(c.BACKFILL_CACHE_DIR ?? path.join(c.MARKETLAKE_CACHE_DIR, 'binance-archives')) };
}

/** `bronze/trades=30,silver/candles=7` → table → days. */
export function parseDataRetention(spec: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z]+\/[a-z0-9_]+)=(\d+)$/.exec(part);
    if (!m) throw new Error(`MAINTENANCE_DATA_RETENTION: "${part}" is not <table>=<days>, e.g. bronze/trades=30`);
    if (Number(m[2]) > 0) out.set(m[1], Number(m[2]));
  }
  return out;
}
