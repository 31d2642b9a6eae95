/** Configuration of the streaming service (environment only, parsed once with zod). */
import os from 'node:os';
import { z } from 'zod';
import { baseEnvSchema, parseEnv } from '../common/config.ts';
import { DEFAULT_MAX_FILL_GAP_MS } from '../common/events/index.ts';
import { TOPICS } from '../common/topics.ts';
import { DEFAULT_RECONCILE_LOOKBACK_MS } from './service/stream-service.ts';

const ms = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const streamEnvSchema = baseEnvSchema.extend({
  /** Kafka consumer group: instances with the same group share the partitions. */
  STREAM_GROUP_ID: z.string().min(1).default('marketlake-stream'),
  /** A bronze micro-batch is committed when it holds this many events ... */
  STREAM_BATCH_MAX_ROWS: z.coerce.number().int().min(1).default(200_000),
  /** ... or when its oldest event has waited this long. */
  STREAM_BATCH_MAX_MS: ms(1000),
  /** Out-of-orderness bound: watermark = max event time − this. */
  STREAM_WATERMARK_BOUND_MS: ms(2000),
  /** A partition without events for this long (processing time) no longer holds the watermark. */
  STREAM_IDLE_PARTITION_MS: ms(5000),
  /** How long final candles stay revisable in memory (older late trades are repaired from bronze). */
  STREAM_LATE_RETENTION_MS: ms(6 * 3_600_000),
  /**
   * Recovery reconciles silver's hourly trade counts with bronze only in the (symbol, date)
   * partitions written within this many hours before the resumed partitions' last bronze commit
   * (what a lost repair can have touched), not in the symbols' whole history.
   */
  STREAM_RECONCILE_LOOKBACK_HOURS: z.coerce.number().positive().default(DEFAULT_RECONCILE_LOOKBACK_MS / 3_600_000),
  /** Provisional candle updates, at most this often per symbol. */
  STREAM_PROVISIONAL_MS: ms(250),
  /**
   * Kafka group session timeout: how soon a crashed instance's partitions move to another. The
   * broker refuses less than its group.min.session.timeout.ms (6000 by default).
   */
  STREAM_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(6000),
  /** Empty windows get a candle (Binance's rule) only within this long after the last traded minute; longer gaps are missing. */
  STREAM_MAX_FILL_GAP_MS: ms(DEFAULT_MAX_FILL_GAP_MS),
  /** When no partition has had an event for this long, the watermark moves on with processing time. */
  STREAM_IDLE_ADVANCE_MS: ms(10_000),
  /** Trades dated before this are dead-lettered (default: the first Bitcoin block). */
  STREAM_EARLIEST_EVENT_TIME: z.coerce.date().default(new Date('2009-01-03T00:00:00Z')),
  /** Trades dated more than this after their receive time (or after now) are dead-lettered. */
  STREAM_MAX_EVENT_LEAD_MS: ms(5 * 60_000),
  /** Live trades (source ws) dated more than this before their receive time are dead-lettered. */
  STREAM_MAX_LIVE_EVENT_LAG_MS: ms(24 * 3_600_000),
  /** Topic names (tests use private topics). */
  STREAM_TRADES_TOPIC: z.string().min(1).default(TOPICS.trades),
  STREAM_TICKERS_TOPIC: z.string().min(1).default(TOPICS.tickers),
  STREAM_SENTIMENT_TOPIC: z.string().min(1).default(TOPICS.sentiment),
  STREAM_NEWS_TOPIC: z.string().min(1).default(TOPICS.news),
  STREAM_CANDLES_TOPIC: z.string().min(1).default(TOPICS.candles),
  STREAM_DEADLETTER_TOPIC: z.string().min(1).default(TOPICS.deadletter),
  /**
   * Threads of the lake's DuckDB (Parquet writing) in this process; default: all cores but one,
   * so that a flush never takes the core the consumer's event loop needs (latency of provisional
   * candles). 0 = DuckDB's default (every core).
   */
  STREAM_LAKE_THREADS: z.coerce.number().int().min(0).default(Math.max(1, os.availableParallelism() - 1)),
  /**
   * Write bronze and silver Parquet files on a worker thread (the default): appending rows to
   * DuckDB is synchronous per value and would otherwise stall consumption and provisional
   * candles on the event loop. `false` writes on the main thread.
   */
  STREAM_WRITER_THREAD: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** Comma-separated: which of trades,tickers,sentiment,news to consume. */
  STREAM_INPUTS: z.string().min(1).default('trades,tickers,sentiment,news'),
});

export type StreamConfig = z.infer<typeof streamEnvSchema>;

export function loadStreamConfig(env: NodeJS.ProcessEnv = process.env): StreamConfig {
  return parseEnv(streamEnvSchema, env);
}
