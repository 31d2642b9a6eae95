/**
 * `market.deadletter.v1`: whatever could not be processed, with the original bytes and why.
 * Nothing is dropped silently: a producer that receives a malformed frame and a consumer that
 * reads an invalid event both publish one of these.
 */
import { z } from 'zod';

export const deadLetterSchema = z
  .object({
    v: z.literal(1),
    /** Who gave up on it: a producer name (`binance-ws`, `coingecko`, ...) or `stream`. */
    stage: z.string().min(1),
    reason: z.string().min(1),
    /** The original bytes, base64-encoded, exactly as received. */
    rawBase64: z.string(),
    /** For events read from Kafka: where they came from. */
    sourceTopic: z.string().optional(),
    partition: z.number().int().nonnegative().optional(),
    offset: z.string().optional(),
    /** For events from outside (a websocket, an HTTP API, a file): which one. */
    origin: z.string().optional(),
    failedAt: z.string().datetime(),
  })
  .readonly();

export type DeadLetter = z.infer<typeof deadLetterSchema>;

export function deadLetter(fields: Omit<DeadLetter, 'v' | 'failedAt' | 'rawBase64'> & { raw: Buffer | string }): DeadLetter {
  const { raw, ...rest } = fields;
  return {
    v: 1,
    ...rest,
    rawBase64: (typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw).toString('base64'),
    failedAt: new Date().toISOString(),
  };
}
