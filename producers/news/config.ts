/** News (RSS/Atom) poller settings, from the environment. */
import { z } from 'zod';
import { parseEnv } from '../../common/config.ts';
import { backoffOrdered, pollerEnvShape } from '../polling/poller-env.ts';
import { csvList } from '../polling/source.ts';

export interface FeedSpec {
  /** Short id used as the event's `feed` and in the Kafka key, e.g. `coindesk`. */
  readonly id: string;
  readonly url: string;
}

export const DEFAULT_FEEDS = 'coindesk=https://www.coindesk.com/arc/outboundfeeds/rss/,cointelegraph=https://cointelegraph.com/rss,decrypt=https://decrypt.co/feed';

/** `id=url` or a bare url (id: the host's main label, `www.coindesk.com` → `coindesk`). */
export function parseFeedSpec(entry: string): FeedSpec {
  const eq = entry.indexOf('=');
  const hasId = eq > 0 && !entry.slice(0, eq).includes('/');
  const url = hasId ? entry.slice(eq + 1).trim() : entry;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`feed ${url}: only http(s) feeds`);
  const labels = parsed.hostname.split('.').filter((l) => l !== 'www');
  const id = hasId ? entry.slice(0, eq).trim() : labels.length > 1 ? labels[labels.length - 2] : labels[0];
  return { id, url };
}

const ms = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const newsEnvSchema = z
  .object({
    /** Comma-separated `id=url` entries (or bare urls). */
    NEWS_FEEDS: z
      .string()
      .default(DEFAULT_FEEDS)
      .transform((value, ctx) => {
        try {
          const feeds = csvList(value).map(parseFeedSpec);
          if (feeds.length === 0) throw new Error('name at least one feed');
          const ids = feeds.map((f) => f.id);
          const dup = ids.find((id, i) => ids.indexOf(id) !== i);
          if (dup) throw new Error(`feed id ${dup} used twice; name them with id=url`);
          return feeds;
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
    ...pollerEnvShape('NEWS', { intervalMs: 120_000, timeoutMs: 15_000, backoffInitialMs: 5_000, backoffMaxMs: 600_000, breakerHalfOpenMs: 120_000 }),
    /** How many item ids are remembered for deduplication (oldest forgotten first). */
    NEWS_DEDUP_CAPACITY: z.coerce.number().int().min(100).default(20_000),
    /** Optional JSON file keeping the seen ids across restarts; without it a restart republishes (at least once). */
    NEWS_DEDUP_FILE: z.string().min(1).optional(),
    NEWS_SUMMARY_MAX_CHARS: z.coerce.number().int().min(0).default(1_000),
  })
  .refine(...backoffOrdered('NEWS'));

export type NewsConfig = z.infer<typeof newsEnvSchema>;

export function loadNewsConfig(env: NodeJS.ProcessEnv = process.env): NewsConfig {
  return parseEnv(newsEnvSchema, env);
}
