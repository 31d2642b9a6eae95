/**
 * alternative.me's `/fng/` response (wire format private to this file) → SentimentEvent.
 * Every value arrives as a JSON string ("41", unix seconds "1787011200"); numbers are accepted
 * too. An API-reported error (`metadata.error`) or a body of another shape throws.
 */
import { z } from 'zod';
import type { SentimentEvent } from '../../common/events/index.ts';

const intLike = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

const responseSchema = z.object({
  name: z.string().optional(),
  data: z.array(
    z.object({
      value: intLike.pipe(z.number().int().min(0).max(100)),
      value_classification: z.string().min(1),
      timestamp: intLike,
      time_until_update: intLike.optional(),
    }),
  ),
  metadata: z.object({ error: z.string().nullable().optional() }).optional(),
});

export interface FearGreedReadings {
  readonly events: SentimentEvent[];
  /** Seconds until the publisher computes the next value, when it says so. */
  readonly secondsUntilUpdate: number | undefined;
}

export const FEAR_GREED_SOURCE = 'alternative.me';
export const FEAR_GREED_INDICATOR = 'fear_and_greed';

export function mapFearGreed(body: unknown, receivedAtUs: number): FearGreedReadings {
  const parsed = responseSchema.safeParse(body);
  if (!parsed.success) {
    throw new TypeError(`fng: unexpected body: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const { data, metadata } = parsed.data;
  if (metadata?.error) throw new Error(`fng: the API reported an error: ${metadata.error}`);
  return {
    events: data.map((d) => ({
      v: 1 as const,
      source: FEAR_GREED_SOURCE,
      indicator: FEAR_GREED_INDICATOR,
      value: d.value,
      classification: d.value_classification,
      asOfUs: d.timestamp * 1_000_000,
      receivedAtUs,
    })),
    secondsUntilUpdate: data.find((d) => d.time_until_update !== undefined)?.time_until_update,
  };
}
