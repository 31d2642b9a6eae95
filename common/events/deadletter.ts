/**
 * `market.deadletter.v1`: whatever could not be processed, with the original bytes and why.
 * Nothing is dropped silently: a producer that receives a malformed frame and a consumer that
 * reads an invalid event both publish one of these.
 *
 * A dead letter is bounded, so that it can always be published (the broker refuses records over
 * 1 MB, and a failed dead letter would stop its sender): the payload is kept whole up to
 * DEAD_LETTER_MAX_PAYLOAD_BYTES, beyond that only its first bytes (`truncated`), always with its
 * length and SHA-256 so that the original can be found and told apart; the reason is cut too.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** The payload bytes a dead letter keeps (base64 makes them a third larger). */
export const DEAD_LETTER_MAX_PAYLOAD_BYTES = 64 * 1024;
/** The characters of a reason a dead letter keeps. */
export const DEAD_LETTER_MAX_REASON_CHARS = 2000;

export const deadLetterSchema = z
  .object({
    v: z.literal(1),
    /** Who gave up on it: a producer name (`binance-ws`, `coingecko`, ...) or `stream`. */
    stage: z.string().min(1),
    reason: z.string().min(1),
    /** The original bytes, base64-encoded, exactly as received (only the first ones when `truncated`). */
    rawBase64: z.string(),
    /** Length of the original payload in bytes. */
    payloadBytes: z.number().int().nonnegative().optional(),
    /** SHA-256 of the original payload (hex). */
    payloadSha256: z.string().optional(),
    /** True when `rawBase64` holds only the first DEAD_LETTER_MAX_PAYLOAD_BYTES bytes. */
    truncated: z.boolean().optional(),
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

export function deadLetter(fields: Omit<DeadLetter, 'v' | 'failedAt' | 'rawBase64' | 'payloadBytes' | 'payloadSha256' | 'truncated'> & { raw: Buffer | string }): DeadLetter {
  const { raw, reason, ...rest } = fields;
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const truncated = bytes.length > DEAD_LETTER_MAX_PAYLOAD_BYTES;
  return {
    v: 1,
    ...rest,
    reason: reason.length > DEAD_LETTER_MAX_REASON_CHARS ? `${reason.slice(0, DEAD_LETTER_MAX_REASON_CHARS)}… (${reason.length} characters)` : reason,
    rawBase64: (truncated ? bytes.subarray(0, DEAD_LETTER_MAX_PAYLOAD_BYTES) : bytes).toString('base64'),
    payloadBytes: bytes.length,
    payloadSha256: createHash('sha256').update(bytes).digest('hex'),
    truncated,
    failedAt: new Date().toISOString(),
  };
}
