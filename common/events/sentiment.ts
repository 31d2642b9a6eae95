/** `market.sentiment.v1`: a market-wide sentiment index reading, e.g. the Fear & Greed index. */
import { z } from 'zod';
import { epochMicros } from './trade.ts';

export const sentimentEventSchema = z
  .object({
    v: z.literal(1),
    /** Who publishes the index, e.g. `alternative.me`. */
    source: z.string().min(1),
    /** Which index, e.g. `fear_and_greed`. */
    indicator: z.string().min(1),
    /** 0 (extreme fear) .. 100 (extreme greed). */
    value: z.number().int().min(0).max(100),
    /** The publisher's label, e.g. `Extreme Fear`. */
    classification: z.string().min(1),
    /** The time the reading is for (the publisher's timestamp), epoch µs. */
    asOfUs: epochMicros,
    receivedAtUs: epochMicros,
  })
  .readonly();
export type SentimentEvent = z.infer<typeof sentimentEventSchema>;

export function sentimentKey(s: Pick<SentimentEvent, 'source' | 'indicator'>): string {
  return `${s.source}:${s.indicator}`;
}
