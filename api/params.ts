/**
 * Request parameters shared by several routes, as zod schemas that both validate and document
 * (OpenAPI). Times are ISO 8601 or epoch milliseconds; ranges are [from, to).
 */
import { z } from '@hono/zod-openapi';

export const API_INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type ApiInterval = (typeof API_INTERVALS)[number];
export const INTERVAL_US: Readonly<Record<ApiInterval, number>> = {
  '1m': 60e6,
  '5m': 300e6,
  '15m': 900e6,
  '1h': 3600e6,
  '4h': 4 * 3600e6,
  '1d': 86_400e6,
};
/** Intervals silver stores; the others are rolled up from silver's 1m candles. */
export const SILVER_INTERVALS: readonly ApiInterval[] = ['1m', '5m', '15m', '1h'];

const MIN_MS = Date.UTC(2009, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

/** ISO 8601 or epoch milliseconds → epoch µs. */
export const timeParam = z
  .string()
  .transform((s, ctx) => {
    const ms = /^\d{1,16}$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
    if (!Number.isFinite(ms) || ms < MIN_MS || ms >= MAX_MS) {
      ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time (2024-01-01T00:00:00Z) or epoch milliseconds between 2009 and 2100' });
      return z.NEVER;
    }
    return ms * 1000;
  })
  .openapi({ type: 'string', example: '2024-01-01T00:00:00Z', description: 'ISO 8601 or epoch milliseconds' });

export const symbolParam = z
  .string()
  .regex(/^[A-Za-z0-9]{2,30}$/, 'a symbol such as BTCUSDT')
  .transform((s) => s.toUpperCase())
  .openapi({ param: { name: 'symbol', in: 'path' }, example: 'BTCUSDT', type: 'string' });

export const exchangeParam = z
  .string()
  .regex(/^[a-z0-9_-]{1,30}$/, 'a lower-case exchange id such as binance')
  .optional()
  .openapi({ example: 'binance' });

export const limitParam = (fallback: number, max: number) =>
  z.coerce
    .number()
    .int('limit must be an integer')
    .min(1, 'limit must be at least 1')
    .max(max, `limit must be at most ${max}`)
    .default(fallback)
    .openapi({ type: 'integer', minimum: 1, maximum: max, default: fallback });

export const formatParam = z.enum(['json', 'csv', 'arrow']).optional().openapi({ description: 'response format (else by Accept)' });

export const booleanParam = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1')
  .openapi({ type: 'string', enum: ['true', 'false', '1', '0'] });

export const intervalParam = z.enum(API_INTERVALS).openapi({ description: 'candle interval; 4h and 1d align to 00:00 UTC' });

/** Epoch µs → ISO 8601 with milliseconds and Z. */
export function isoOfMicros(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}

/** Date (YYYY-MM-DD, UTC) of an epoch µs. */
export function utcDate(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().slice(0, 10);
}

/** SQL string literal: the lake's one quoting helper. */
export { sqlLiteral as sqlString } from '../lake/index.ts';

/** SQL timestamp literal of an epoch µs. */
export function sqlTimestamp(us: number): string {
  return `make_timestamp(${Math.trunc(us)}::BIGINT)`;
}
