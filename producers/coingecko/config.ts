/** CoinGecko poller settings, from the environment (`marketlake produce coingecko`). */
import { z } from 'zod';
import { parseEnv } from '../../common/config.ts';
import { backoffOrdered, pollerEnvShape } from '../polling/poller-env.ts';
import { csvList } from '../polling/source.ts';

export const COINGECKO_ENDPOINTS = ['markets', 'simple-price'] as const;
export type CoinGeckoEndpoint = (typeof COINGECKO_ENDPOINTS)[number];

/** Coins `/simple/price` asks for when COINGECKO_COIN_IDS is empty: the default Binance symbols. */
export const DEFAULT_SIMPLE_PRICE_IDS = ['bitcoin', 'ethereum', 'binancecoin', 'solana', 'ripple'] as const;

const ms = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const coinGeckoEnvSchema = z
  .object({
    /** API root; the paid plan lives at https://pro-api.coingecko.com/api/v3. */
    COINGECKO_BASE_URL: z.url().default('https://api.coingecko.com/api/v3'),
    COINGECKO_API_KEY: z.string().optional(),
    /** Which header carries the key: `x-cg-demo-api-key` (demo) or `x-cg-pro-api-key` (pro). */
    COINGECKO_API_PLAN: z.enum(['demo', 'pro']).default('demo'),
    COINGECKO_ENDPOINTS: z
      .string()
      .default('markets')
      .transform(csvList)
      .pipe(z.array(z.enum(COINGECKO_ENDPOINTS)).min(1, 'name at least one of markets, simple-price')),
    COINGECKO_VS_CURRENCY: z.string().regex(/^[a-z0-9]+$/, 'lower-case currency such as usd').default('usd'),
    /** Coin ids (CoinGecko's, e.g. `bitcoin`); empty: markets = the top COINGECKO_PER_PAGE by market cap. */
    COINGECKO_COIN_IDS: z.string().default('').transform(csvList),
    COINGECKO_PER_PAGE: z.coerce.number().int().min(1).max(250).default(100),
    /** The free API refreshes about once a minute; polling faster only burns the rate limit. */
    ...pollerEnvShape('COINGECKO', { intervalMs: 60_000, timeoutMs: 10_000, backoffInitialMs: 2_000, backoffMaxMs: 300_000, breakerHalfOpenMs: 60_000 }),
  })
  .refine(...backoffOrdered('COINGECKO'));

export type CoinGeckoConfig = z.infer<typeof coinGeckoEnvSchema>;

export function loadCoinGeckoConfig(env: NodeJS.ProcessEnv = process.env): CoinGeckoConfig {
  return parseEnv(coinGeckoEnvSchema, env);
}
