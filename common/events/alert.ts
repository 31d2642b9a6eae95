/**
 * `market.alerts.v1`: a gold alert (gold/alerts), published once when a gold build first raises
 * it. Key: the alert_id (deterministic: kind, exchange, symbol, interval, window), so a consumer
 * that sees one twice (a build that crashed between publishing and recording it publishes again)
 * can drop the repeat by key.
 */
import { z } from 'zod';
import { epochMicros } from './trade.ts';

export const alertEventSchema = z
  .object({
    v: z.literal(1),
    alertId: z.string().min(1),
    exchange: z.string().min(1),
    symbol: z.string().min(1),
    interval: z.string().min(1),
    windowStartUs: epochMicros,
    kind: z.string().min(1),
    severity: z.enum(['info', 'warning', 'critical']),
    value: z.number().nullable(),
    threshold: z.number().nullable(),
    /** JSON text with the numbers behind the alert. */
    details: z.string().nullable(),
    raisedAtUs: epochMicros,
  })
  .readonly();

export type AlertEvent = z.infer<typeof alertEventSchema>;
