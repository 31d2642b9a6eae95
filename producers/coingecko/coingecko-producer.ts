/**
 * Polls CoinGecko (`/coins/markets` and/or `/simple/price`) and publishes a TickerEvent per coin
 * on market.tickers.v1 whenever the coin's price or update time changed since the last one we
 * published (CoinGecko serves the same cached snapshot for a minute or more).
 */
import { deadLetter, tickerKey, type TickerEvent } from '../../common/events/index.ts';
import { TOPICS } from '../../common/topics.ts';
import type { EventSink } from '../event-sink.ts';
import { ChangeFilter } from '../polling/change-filter.ts';
import { PayloadError } from '../polling/http-errors.ts';
import { httpGet } from '../polling/http-get.ts';
import { Poller, type PollResult } from '../polling/poller.ts';
import { combineHealth, type SourceDeps, type SourceProducer } from '../polling/source.ts';
import { DEFAULT_SIMPLE_PRICE_IDS, type CoinGeckoConfig, type CoinGeckoEndpoint } from './config.ts';
import { KNOWN_COIN_SYMBOLS } from './coin-symbols.ts';
import { mapCoinsMarkets, mapSimplePrice, type Mapped } from './mapper.ts';
import { pollerPolicy } from '../polling/poller-env.ts';

const STAGE = 'coingecko';

export function coinGeckoUrl(config: CoinGeckoConfig, endpoint: CoinGeckoEndpoint): string {
  const base = config.COINGECKO_BASE_URL.replace(/\/+$/, '');
  const vs = config.COINGECKO_VS_CURRENCY;
  if (endpoint === 'markets') {
    const params = new URLSearchParams({ vs_currency: vs, order: 'market_cap_desc', per_page: String(config.COINGECKO_PER_PAGE), page: '1', sparkline: 'false' });
    if (config.COINGECKO_COIN_IDS.length > 0) params.set('ids', config.COINGECKO_COIN_IDS.join(','));
    return `${base}/coins/markets?${params}`;
  }
  const ids = config.COINGECKO_COIN_IDS.length > 0 ? config.COINGECKO_COIN_IDS : DEFAULT_SIMPLE_PRICE_IDS;
  const params = new URLSearchParams({
    ids: ids.join(','),
    vs_currencies: vs,
    include_market_cap: 'true',
    include_24hr_vol: 'true',
    include_24hr_change: 'true',
    include_last_updated_at: 'true',
  });
  return `${base}/simple/price?${params}`;
}

export function coinGeckoHeaders(config: CoinGeckoConfig): Record<string, string> {
  if (!config.COINGECKO_API_KEY) return {};
  return { [config.COINGECKO_API_PLAN === 'pro' ? 'x-cg-pro-api-key' : 'x-cg-demo-api-key']: config.COINGECKO_API_KEY };
}

export function createCoinGeckoProducer(config: CoinGeckoConfig, sink: EventSink, deps: SourceDeps): SourceProducer {
  const logger = deps.logger.child({ source: STAGE });
  // One filter across both endpoints: a coin is new when its price or its update time moved.
  const changes = new ChangeFilter<TickerEvent>(
    (t) => tickerKey(t),
    (t) => `${t.price}@${t.sourceTimeUs}`,
  );
  // Symbols learnt from /coins/markets name /simple/price's coins better than a static list.
  const learntSymbols = new Map<string, string>();
  const symbolOf = (id: string) => learntSymbols.get(id) ?? KNOWN_COIN_SYMBOLS[id] ?? id.toUpperCase();

  const pollEndpoint = (endpoint: CoinGeckoEndpoint) => async (signal: AbortSignal): Promise<PollResult> => {
    const url = coinGeckoUrl(config, endpoint);
    const res = await httpGet(url, { headers: coinGeckoHeaders(config), timeoutMs: config.COINGECKO_TIMEOUT_MS, signal });
    const receivedAtUs = Date.now() * 1000;
    let mapped: Mapped;
    try {
      const body: unknown = JSON.parse(res.body.toString('utf8'));
      mapped =
        endpoint === 'markets'
          ? mapCoinsMarkets(body, config.COINGECKO_VS_CURRENCY, receivedAtUs)
          : mapSimplePrice(body, config.COINGECKO_VS_CURRENCY, receivedAtUs, symbolOf);
    } catch (err) {
      await sink.deadLetter(deadLetter({ stage: STAGE, reason: `${endpoint}: ${(err as Error).message}`, raw: res.body, origin: url }));
      throw new PayloadError(`${endpoint}: unreadable body: ${(err as Error).message}`, res.body, url);
    }
    for (const r of mapped.rejected) await sink.deadLetter(deadLetter({ stage: STAGE, reason: r.reason, raw: r.raw, origin: url }));
    if (endpoint === 'markets') for (const t of mapped.events) learntSymbols.set(t.coinId, t.symbol);
    const fresh = changes.changed(mapped.events);
    for (const t of fresh) {
      await sink.publish(TOPICS.tickers, tickerKey(t), t, url);
      changes.commit(t);
    }
    return { published: fresh.length, unchanged: mapped.events.length - fresh.length };
  };

  const pollers = config.COINGECKO_ENDPOINTS.map(
    (endpoint) =>
      new Poller({
        name: `coingecko-${endpoint}`,
        ...pollerPolicy('COINGECKO', config),
        poll: pollEndpoint(endpoint),
        logger,
        registry: deps.registry,
        signal: deps.signal,
      }),
  );

  return {
    async run() {
      logger.info({ endpoints: config.COINGECKO_ENDPOINTS, vs: config.COINGECKO_VS_CURRENCY, intervalMs: config.COINGECKO_INTERVAL_MS }, 'coingecko poller starting');
      await Promise.all(pollers.map((p) => p.run()));
      logger.info('coingecko poller stopped');
    },
    health: () => combineHealth(pollers.map((p) => p.health())),
  };
}

/** Entry point for `marketlake produce coingecko`: polls until `deps.signal` aborts. */
export async function runCoinGecko(config: CoinGeckoConfig, sink: EventSink, deps: SourceDeps): Promise<void> {
  await createCoinGeckoProducer(config, sink, deps).run();
}
