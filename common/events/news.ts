/** `market.news.v1`: one news item from an RSS or Atom feed, scored and tagged with symbols. */
import { z } from 'zod';
import { epochMicros } from './trade.ts';

export const newsEventSchema = z
  .object({
    v: z.literal(1),
    /** Short feed id, e.g. `coindesk`. */
    feed: z.string().min(1),
    /** The item's guid, or its link when it has none: the deduplication key. */
    guid: z.string().min(1),
    link: z.string().url().optional(),
    title: z.string().min(1),
    summary: z.string().optional(),
    /** The feed's publication time, epoch µs. */
    publishedAtUs: epochMicros,
    receivedAtUs: epochMicros,
    /** Headline sentiment from the NLP library: total score and score per word. */
    sentimentScore: z.number(),
    sentimentComparative: z.number(),
    /** Upper-case base symbols the item mentions, e.g. ['BTC', 'ETH']. */
    symbols: z.array(z.string().regex(/^[A-Z0-9]+$/)).readonly(),
  })
  .readonly();
export type NewsEvent = z.infer<typeof newsEventSchema>;

export function newsKey(n: Pick<NewsEvent, 'feed'>): string {
  return `news:${n.feed}`;
}
