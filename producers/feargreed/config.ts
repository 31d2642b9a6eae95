/** Fear & Greed (alternative.me) poller settings, from the environment. */
import { z } from 'zod';
import { parseEnv } from '../../common/config.ts';
import { backoffOrdered, pollerEnvShape } from '../polling/poller-env.ts';

const ms = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const fearGreedEnvSchema = z
  .object({
    FEARGREED_BASE_URL: z.url().default('https://api.alternative.me'),
    /** Readings per request (`/fng/?limit=N`): the newest N days; 2 also catches yesterday's final value. */
    FEARGREED_LIMIT: z.coerce.number().int().min(1).max(1000).default(2),
    /** The index changes once a day; the poller also wakes when the API says the next update is due. */
    ...pollerEnvShape('FEARGREED', { intervalMs: 600_000, timeoutMs: 10_000, backoffInitialMs: 2_000, backoffMaxMs: 300_000, breakerHalfOpenMs: 60_000 }),
  })
  .refine(...backoffOrdered('FEARGREED'));

export type FearGreedConfig = z.infer<typeof fearGreedEnvSchema>;

export function loadFearGreedConfig(env: NodeJS.ProcessEnv = process.env): FearGreedConfig {
  return parseEnv(fearGreedEnvSchema, env);
}
