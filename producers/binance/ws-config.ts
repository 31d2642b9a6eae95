/** Binance websocket producer settings, from the environment (`marketlake produce binance`). */
import { z } from 'zod';
import { parseEnv } from '../../common/config.ts';
import { csvList } from '../polling/source.ts';

export const DEFAULT_BINANCE_SYMBOLS = 'BTCUSDT,ETHUSDT,BNBUSDT,SOLUSDT,XRPUSDT';

const ms = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const binanceWsEnvSchema = z
  .object({
    /** Websocket root; combined streams are served at `<base>/stream?streams=a/b/c`. */
    BINANCE_WS_BASE_URL: z
      .string()
      .regex(/^wss?:\/\/[^\s]+$/, 'a ws:// or wss:// URL')
      .default('wss://stream.binance.com:9443'),
    BINANCE_SYMBOLS: z
      .string()
      .default(DEFAULT_BINANCE_SYMBOLS)
      .transform((s) => csvList(s).map((x) => x.toUpperCase()))
      .pipe(z.array(z.string().regex(/^[A-Z0-9]+$/, 'symbols such as BTCUSDT')).min(1, 'name at least one symbol')),
    /** `trade` (every trade) or `aggTrade` (trades aggregated by taker order and price). */
    BINANCE_WS_STREAM: z.enum(['trade', 'aggTrade']).default('trade'),
    /** Ask Binance for microsecond times (`timeUnit=MICROSECOND`); the mapper reads either unit. */
    BINANCE_WS_MICROSECONDS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    /** Binance allows 1024 streams per connection; more symbols use more connections. */
    BINANCE_WS_MAX_STREAMS_PER_CONNECTION: z.coerce.number().int().min(1).max(1024).default(1024),
    /** No frame (message, ping or pong) for this long: the connection is dead, reconnect. */
    BINANCE_WS_STALE_MS: ms(60_000),
    /** Our own pings keep quiet connections measurable; Binance allows 5 control messages/s, so ≥ 200 ms. */
    BINANCE_WS_PING_INTERVAL_MS: z.coerce.number().int().min(200).default(20_000),
    BINANCE_WS_HANDSHAKE_TIMEOUT_MS: ms(10_000),
    /** Binance cuts every connection after 24 h; we reconnect on our own a little earlier. */
    BINANCE_WS_MAX_CONNECTION_MS: ms(23 * 3600_000 + 50 * 60_000),
    BINANCE_WS_BACKOFF_INITIAL_MS: ms(500),
    BINANCE_WS_BACKOFF_MAX_MS: ms(60_000),
    /** Binance allows 300 connection attempts per 5 minutes per IP; we stay below. */
    BINANCE_WS_MAX_CONNECTS_PER_5_MIN: z.coerce.number().int().min(1).max(300).default(250),
    /** Fill small gaps from Binance REST (`/api/v3/aggTrades`) at BINANCE_REST_BASE_URL. */
    BINANCE_WS_REPAIR: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    BINANCE_REST_BASE_URL: z.url().default('https://api.binance.com'),
    /** Gaps up to this many trades are filled from REST; larger ones stay open for a backfill. */
    BINANCE_WS_REPAIR_MAX_TRADES: z.coerce.number().int().min(0).default(1_000),
    BINANCE_WS_REPAIR_TIMEOUT_MS: ms(10_000),
    /** Frames queued between the socket and Kafka before the socket is paused (backpressure). */
    BINANCE_WS_QUEUE_HIGH_WATER: z.coerce.number().int().min(1).default(50_000),
  })
  .refine((c) => c.BINANCE_WS_BACKOFF_MAX_MS >= c.BINANCE_WS_BACKOFF_INITIAL_MS, {
    message: 'BINANCE_WS_BACKOFF_MAX_MS must be >= BINANCE_WS_BACKOFF_INITIAL_MS',
    path: ['BINANCE_WS_BACKOFF_MAX_MS'],
  })
  .refine((c) => c.BINANCE_WS_PING_INTERVAL_MS < c.BINANCE_WS_STALE_MS, {
    message: 'BINANCE_WS_PING_INTERVAL_MS must be shorter than BINANCE_WS_STALE_MS',
    path: ['BINANCE_WS_PING_INTERVAL_MS'],
  });

export type BinanceWsConfig = z.infer<typeof binanceWsEnvSchema>;

export function loadBinanceWsConfig(env: NodeJS.ProcessEnv = process.env): BinanceWsConfig {
  return parseEnv(binanceWsEnvSchema, env);
}
