/** Fear & Greed (alternative.me) poller settings, from the environment. */
import { z } from 'zod';
import { parseEnv } from '../../common/config.ts';

const ms = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const fearGreedEnvSchema = z
  .object({
    FEARGREED_BASE_URL: z.url().default('https://api.alternative.me'),
    /** Readings per request (`/fng/?limit=N`): the newest N days; 2 also catches yesterday's final value. */
    FEARGREED_LIMIT: z.coerce.number().int().min(1).max(1000).default(2),
    /** The index changes once a day; the poller also wakes when the API says the next update is due. */
    FEARGREED_INTERVAL_MS: ms(600_000),
    FEARGREED_TIMEOUT_MS: ms(10_000),
    FEARGREED_BACKOFF_INITIAL_MS: ms(2_000),
    FEARGREED_BACKOFF_MAX_MS: ms(300_000),
    FEARGREED_BREAKER_FAILURES: z.coerce.number().int().min(1).default(5),
    FEARGREED_BREAKER_HALF_OPEN_MS: ms(60_000),
  })
  .refine((c) => c.FEARGREED_BACKOFF_MAX_MS >= c.FEARGREED_BACKOFF_INITIAL_MS, {
    message: 'FEARGREED_BACKOFF_MAX_MS must be >= FEARGREED_BACKOFF_INITIAL_MS',
    path: ['FEARGREED_BACKOFF_MAX_MS'],
  });

export type FearGreedConfig = z.infer<typeof fearGreedEnvSchema>;

export function loadFearGreedConfig(env: NodeJS.ProcessEnv = process.env): FearGreedConfig {
  return parseEnv(fearGreedEnvSchema, env);
}
