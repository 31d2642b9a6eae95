/**
 * The API's configuration: the base keys every marketlake process reads plus the API's own,
 * parsed once at start (`loadApiConfig`) so that a bad value fails fast naming the variable.
 */
import { z } from 'zod';
import { baseEnvSchema, parseEnv } from '../common/config.ts';
import { TOPICS } from '../common/topics.ts';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const apiEnvSchema = baseEnvSchema.extend({
  /** Interface the HTTP server binds to. */
  API_HOST: z.string().min(1).default('0.0.0.0'),
  /** Keys accepted on every route (comma-separated), sent as `Authorization: Bearer <key>` or `X-API-Key`. */
  API_KEYS: list,
  /** Keys that may read only (when reads are keyed); they get 403 on the SQL and write routes. */
  API_READ_KEYS: list,
  /** When true, the read routes need a key too (API_KEYS or API_READ_KEYS). */
  API_READS_REQUIRE_KEY: bool(false),
  /** Origins allowed by CORS (comma-separated; `*` for any). Empty: no CORS headers. */
  API_CORS_ORIGINS: z.string().default('*'),
  /** Requests per minute per API key (or per client address without a key); 0 turns it off. */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  /** Rate-limit buckets kept in memory at most (least recently used dropped first). */
  API_RATE_LIMIT_MAX_KEYS: positiveInt(100_000),
  /** The SQL route's limits: rows returned, wall time, bytes of the JSON result, bytes of the request body. */
  API_SQL_MAX_ROWS: positiveInt(10_000),
  API_SQL_TIMEOUT_MS: positiveInt(10_000),
  API_SQL_MAX_RESULT_BYTES: positiveInt(16 * 1024 * 1024),
  API_SQL_MAX_BODY_BYTES: positiveInt(64 * 1024),
  /** Memory DuckDB may use for ad-hoc SQL (DuckDB syntax, e.g. `1GB`). */
  API_SQL_MEMORY_LIMIT: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'a size such as 512MB').default('1GB'),
  /** How stale the lake snapshot may be before a request refreshes it (ms). */
  API_LAKE_REFRESH_MS: z.coerce.number().int().min(0).default(1000),
  /** DuckDB engines the API's own queries are spread over (each its own DuckDB: they run side by side). */
  API_LAKE_ENGINES: positiveInt(2),
  /** Connections per engine the API's own (composed) lake queries run on side by side; each holds a libuv thread while it runs. */
  API_LAKE_CONNECTIONS: positiveInt(2),
  /** DuckDB threads for the API's own queries (0: DuckDB's choice). */
  API_LAKE_THREADS: z.coerce.number().int().min(0).default(0),
  /** The exchange assumed when a request names none. */
  API_DEFAULT_EXCHANGE: z.string().min(1).default('binance'),
  /** Topics the live stream (/v1/stream) follows, through one shared consumer. */
  API_STREAM_TRADES_TOPIC: z.string().min(1).default(TOPICS.trades),
  API_STREAM_CANDLES_TOPIC: z.string().min(1).default(TOPICS.candles),
  API_STREAM_ALERTS_TOPIC: z.string().min(1).default('market.alerts.v1'),
  /** Events the live feed keeps in memory for reconnecting clients (older ones are re-read from Kafka). */
  API_STREAM_BUFFER_EVENTS: positiveInt(200_000),
  /** A client whose unsent SSE data exceeds this is disconnected (it resumes with Last-Event-ID). */
  API_STREAM_CLIENT_MAX_PENDING_BYTES: positiveInt(8 * 1024 * 1024),
  /** Set false to run without Kafka (no /v1/stream, no live prices). */
  API_STREAM_ENABLED: bool(true),
  /** Link to the Temporal UI for started backfills. */
  TEMPORAL_UI_URL: z.string().url().optional(),
  /** Task queue of the backfill workflow. */
  API_BACKFILL_TASK_QUEUE: z.string().min(1).default('marketlake-backfill'),
});

export type ApiConfig = z.infer<typeof apiEnvSchema>;

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(apiEnvSchema, env);
}
