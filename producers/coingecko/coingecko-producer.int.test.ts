/** The CoinGecko poller against a local HTTP server replaying the recorded payloads. */
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { TickerEvent } from '../../common/events/index.ts';
import { createLogger } from '../../common/logger.ts';
import { TOPICS } from '../../common/topics.ts';
import { startHttpReplayServer, type HttpReplayServer } from '../../test/support/http-replay-server.ts';
import { MemorySink } from '../../test/support/memory-sink.ts';
import { PAYLOADS, readSharedData } from '../../test/support/recorded-payloads.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { loadCoinGeckoConfig } from './config.ts';
import { createCoinGeckoProducer } from './coingecko-producer.ts';

const marketsBody = readSharedData(...PAYLOADS.coingeckoMarkets);
const simpleBody = readSharedData(...PAYLOADS.coingeckoSimplePrice);
const logger = createLogger('test', 'silent');

function withBitcoinAt(price: number, lastUpdated: string): string {
  const coins = JSON.parse(marketsBody.toString('utf8')) as { id: string; current_price: number; last_updated: string }[];
  coins[0] = { ...coins[0], current_price: price, last_updated: lastUpdated };
  return JSON.stringify(coins);
}

let server: HttpReplayServer | undefined;
let stop: AbortController | undefined;
afterEach(async () => {
  stop?.abort();
  await server?.close();
});

function start(env: Record<string, string>) {
  const config = loadCoinGeckoConfig({
    COINGECKO_BASE_URL: `${server!.url}/api/v3`,
    COINGECKO_INTERVAL_MS: '30',
    COINGECKO_TIMEOUT_MS: '1500',
    COINGECKO_BACKOFF_INITIAL_MS: '20',
    COINGECKO_BACKOFF_MAX_MS: '60',
    COINGECKO_VS_CURRENCY: 'eur',
    ...env,
  });
  const sink = new MemorySink();
  const registry = new Registry();
  stop = new AbortController();
  const producer = createCoinGeckoProducer(config, sink, { signal: stop.signal, logger, registry });
  const running = producer.run();
  return { sink, registry, producer, running };
}

async function pollCount(registry: Registry, outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric('marketlake_poll_total')!.get();
  return metric.values.filter((v) => v.labels.outcome === outcome).reduce((a, v) => a + v.value, 0);
}

describe('CoinGecko poller', () => {
  it('backs off on 429 (honouring Retry-After), 500s and timeouts, recovers, and publishes each change once', async () => {
    server = await startHttpReplayServer({
      '/api/v3/coins/markets': [
        { body: marketsBody },
        { status: 429, headers: { 'retry-after': '1' }, body: '{"status":{"error_code":429,"error_message":"rate limited"}}' },
        { status: 500, body: 'oops' },
        { status: 503, body: 'maintenance' },
        { delayMs: 5_000, body: marketsBody },
        { body: marketsBody },
        { body: withBitcoinAt(36700.5, '2024-01-24T00:30:01.000Z') },
      ],
    });
    const { sink, registry, running, producer } = start({ COINGECKO_API_KEY: 'demo-key-123' });
    await waitFor(() => server!.requestsTo('/api/v3/coins/markets').length >= 9, 'nine polls', 20_000);
    stop!.abort();
    await running;

    const tickers = sink.on<TickerEvent>(TOPICS.tickers);
    expect(tickers).toHaveLength(101);
    expect(tickers.filter((t) => t.coinId === 'bitcoin').map((t) => t.price)).toEqual(['36685', '36700.5']);
    expect(new Set(tickers.slice(0, 100).map((t) => t.coinId)).size).toBe(100);
    expect(sink.published.every((p) => p.topic === TOPICS.tickers)).toBe(true);
    expect(sink.published[100].key).toBe('coingecko:BTC-eur');
    expect(sink.deadLetters).toEqual([]);

    const reqs = server!.requestsTo('/api/v3/coins/markets');
    expect(reqs[1].at - reqs[0].at).toBeLessThan(900);
    expect(reqs[2].at - reqs[1].at).toBeGreaterThanOrEqual(990); // Retry-After: 1
    expect(reqs[0].headers['x-cg-demo-api-key']).toBe('demo-key-123');
    expect(reqs[0].query.get('vs_currency')).toBe('eur');
    expect(await pollCount(registry, 'rate_limited')).toBe(1);
    expect(await pollCount(registry, 'error')).toBe(2);
    expect(await pollCount(registry, 'timeout')).toBe(1);
    expect(producer.health().status).toBe('ok');
  });

  it('opens the circuit while the API keeps failing, then lets a trial call through and recovers', async () => {
    server = await startHttpReplayServer({ '/api/v3/coins/markets': [{ status: 500, body: 'down' }] });
    const { sink, running, producer } = start({ COINGECKO_BREAKER_FAILURES: '3', COINGECKO_BREAKER_HALF_OPEN_MS: '700' });
    await waitFor(() => server!.requestsTo('/api/v3/coins/markets').length >= 3, 'three failures');
    const openedAt = Date.now();
    await new Promise((r) => setTimeout(r, 400));
    // Open: the backoff keeps ticking (20..60 ms) but no request reaches the API.
    expect(server!.requestsTo('/api/v3/coins/markets')).toHaveLength(3);
    expect(producer.health().status).toBe('down');
    server!.script('/api/v3/coins/markets', [{ body: marketsBody }]);
    await waitFor(() => sink.published.length === 100, 'recovery');
    const trial = server!.requestsTo('/api/v3/coins/markets')[3];
    expect(trial.at - openedAt).toBeGreaterThanOrEqual(600);
    expect(producer.health().status).toBe('ok');
    stop!.abort();
    await running;
  });

  it('polls /simple/price with the configured ids and symbols from the known list', async () => {
    server = await startHttpReplayServer({ '/api/v3/simple/price': [{ body: simpleBody }] });
    const { sink, running } = start({ COINGECKO_ENDPOINTS: 'simple-price', COINGECKO_VS_CURRENCY: 'usd', COINGECKO_COIN_IDS: 'bitcoin,ethereum', COINGECKO_API_KEY: 'k', COINGECKO_API_PLAN: 'pro' });
    await waitFor(() => server!.requestsTo('/api/v3/simple/price').length >= 3, 'three polls');
    stop!.abort();
    await running;
    // The same snapshot three times: published once.
    expect(sink.on<TickerEvent>(TOPICS.tickers).map((t) => `${t.symbol}=${t.price}`)).toEqual(['BTC=18109.977835707818', 'ETH=1396.4856571417022']);
    const req = server!.requestsTo('/api/v3/simple/price')[0];
    expect(req.query.get('ids')).toBe('bitcoin,ethereum');
    expect(req.query.get('include_last_updated_at')).toBe('true');
    expect(req.headers['x-cg-pro-api-key']).toBe('k');
  });
});
