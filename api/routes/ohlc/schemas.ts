/** Request and response schemas of /v1/ohlc/{symbol}. */
import { z } from '@hono/zod-openapi';
import { booleanParam, exchangeParam, formatParam, intervalParam, limitParam, symbolParam, timeParam } from '../../params.ts';

export const OHLC_MAX_LIMIT = 1000;

const decimal = (description: string) => z.string().regex(/^-?\d+(\.\d+)?$/).openapi({ description: `${description} (exact decimal string)`, example: '42283.58000000' });

export const candleSchema = z
  .object({
    window_start: z.string().openapi({ description: 'inclusive, ISO 8601 UTC', example: '2024-01-01T00:00:00.000Z' }),
    window_end: z.string().openapi({ description: 'exclusive, ISO 8601 UTC' }),
    open: decimal('open'),
    high: decimal('high'),
    low: decimal('low'),
    close: decimal('close'),
    volume: decimal('base volume'),
    quote_volume: decimal('quote volume'),
    vwap: decimal('quote_volume / volume, 16 places').nullable(),
    trade_count: z.number().int(),
    taker_buy_volume: decimal('taker buy base volume'),
    taker_buy_quote_volume: decimal('taker buy quote volume'),
    is_final: z.boolean(),
    provisional: z.boolean().openapi({ description: 'true for the forming candle (asked for with include_provisional=true)' }),
  })
  .openapi('Candle');

export const ohlcQuerySchema = z.object({
  interval: intervalParam.default('1m'),
  from: timeParam.optional().openapi({ description: 'inclusive; ISO 8601 or epoch ms (default: `limit` windows before `to`)' }),
  to: timeParam.optional().openapi({ description: 'exclusive; ISO 8601 or epoch ms (default: the end of the latest candle)' }),
  limit: limitParam(500, OHLC_MAX_LIMIT),
  cursor: z.string().max(200).optional().openapi({ description: 'the `next` of the previous page' }),
  include_provisional: booleanParam.openapi({ description: 'include the forming candle, flagged provisional' }),
  exchange: exchangeParam,
  format: formatParam,
});

export const ohlcParamsSchema = z.object({ symbol: symbolParam });

export const ohlcResponseSchema = z
  .object({
    symbol: z.string(),
    exchange: z.string(),
    interval: z.string(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    candles: z.array(candleSchema),
    gaps: z
      .array(z.object({ from: z.string().openapi({ description: 'inclusive, ISO 8601 UTC' }), to: z.string().openapi({ description: 'exclusive, ISO 8601 UTC' }) }).openapi('DataGap'))
      .openapi({ description: 'ranges inside [from, to) after the series began and before its latest candle for which the lake holds no candle: missing data, never filled with invented candles' }),
    next: z.string().nullable().openapi({ description: 'cursor of the next page, or null' }),
  })
  .openapi('Ohlc');
