import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/config.ts';
import { loadCoinGeckoConfig } from '../coingecko/config.ts';
import { loadFearGreedConfig } from '../feargreed/config.ts';
import { loadNewsConfig } from '../news/config.ts';
import { pollerPolicy } from './poller-env.ts';

describe('the pollers share one set of interval, timeout, backoff and breaker settings under their prefix', () => {
  it('each source keeps its own defaults', () => {
    expect(pollerPolicy('COINGECKO', loadCoinGeckoConfig({}))).toEqual({
      intervalMs: 60_000,
      backoff: { initialMs: 2_000, maxMs: 300_000 },
      breaker: { consecutiveFailures: 5, halfOpenAfterMs: 60_000 },
    });
    expect(loadFearGreedConfig({}).FEARGREED_INTERVAL_MS).toBe(600_000);
    expect(loadNewsConfig({}).NEWS_TIMEOUT_MS).toBe(15_000);
  });

  it('reads overrides from the environment', () => {
    const c = loadNewsConfig({ NEWS_INTERVAL_MS: '1000', NEWS_BREAKER_FAILURES: '2', NEWS_BACKOFF_INITIAL_MS: '10', NEWS_BACKOFF_MAX_MS: '20' });
    expect(pollerPolicy('NEWS', c)).toEqual({ intervalMs: 1_000, backoff: { initialMs: 10, maxMs: 20 }, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 120_000 } });
  });

  it('names the variable when a setting is wrong', () => {
    expect(() => loadFearGreedConfig({ FEARGREED_BACKOFF_INITIAL_MS: '5000', FEARGREED_BACKOFF_MAX_MS: '1000' })).toThrow(/FEARGREED_BACKOFF_MAX_MS must be >= FEARGREED_BACKOFF_INITIAL_MS/);
    expect(() => loadCoinGeckoConfig({ COINGECKO_TIMEOUT_MS: '-1' })).toThrow(ConfigError);
    expect(() => loadCoinGeckoConfig({ COINGECKO_TIMEOUT_MS: '-1' })).toThrow(/COINGECKO_TIMEOUT_MS/);
  });
});
