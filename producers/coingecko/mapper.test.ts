import { describe, expect, it } from 'vitest';
import { tickerEventSchema } from '../../common/events/index.ts';
import { PAYLOADS, readSharedData } from '../../test/support/recorded-payloads.ts';
import { mapCoinsMarkets, mapSimplePrice } from './mapper.ts';

const markets = JSON.parse(readSharedData(...PAYLOADS.coingeckoMarkets).toString('utf8')) as unknown[];
const simple = JSON.parse(readSharedData(...PAYLOADS.coingeckoSimplePrice).toString('utf8')) as Record<string, unknown>;

describe('CoinGecko /coins/markets mapper (recorded 2024-01-24, EUR)', () => {
  const { events, rejected } = mapCoinsMarkets(markets, 'eur', 1_700_000_000_000_000);

  it('maps all 100 coins to valid ticker events', () => {
    expect(rejected).toEqual([]);
    expect(events).toHaveLength(100);
    for (const e of events) expect(tickerEventSchema.safeParse(e).success).toBe(true);
  });

  it('keeps the numbers as CoinGecko printed them and the update time in µs', () => {
    const btc = events.find((e) => e.coinId === 'bitcoin')!;
    expect(btc).toMatchObject({ symbol: 'BTC', vsCurrency: 'eur', price: '36685', marketCap: '717908446525', volume24h: '27086944019', high24h: '36827', low24h: '35453', priceChangePct24h: 0.63162 });
    expect(btc.sourceTimeUs).toBe(Date.parse('2024-01-24T00:28:42.081Z') * 1000);
    const eth = events.find((e) => e.coinId === 'ethereum')!;
    expect(eth.price).toBe('2058.58');
    expect(eth.priceChangePct24h).toBe(-3.43434);
  });

  it('rejects one bad coin with a reason and keeps the others', () => {
    const broken = [{ ...(markets[0] as object), current_price: null }, markets[1]];
    const out = mapCoinsMarkets(broken, 'eur', 1);
    expect(out.events.map((e) => e.coinId)).toEqual(['ethereum']);
    expect(out.rejected).toHaveLength(1);
    expect(out.rejected[0].reason).toMatch(/current_price/);
    expect(JSON.parse(out.rejected[0].raw).id).toBe('bitcoin');
  });

  it('refuses a body that is not a list of coins', () => {
    expect(() => mapCoinsMarkets({ status: { error_code: 429 } }, 'eur', 1)).toThrow(/array/);
  });
});

describe('CoinGecko /simple/price mapper (recorded 2023-01-12)', () => {
  it('maps each coin for the requested currency, with market cap, volume and change', () => {
    const { events, rejected } = mapSimplePrice(simple, 'usd', 5);
    expect(rejected).toEqual([]);
    expect(events.map((e) => [e.coinId, e.symbol, e.price])).toEqual([
      ['bitcoin', 'BTC', '18109.977835707818'],
      ['ethereum', 'ETH', '1396.4856571417022'],
    ]);
    expect(events[0]).toMatchObject({ marketCap: '348916085115.57404', volume24h: '33339997882.460022', priceChangePct24h: 3.88635385851444, sourceTimeUs: 1673512617_000_000 });
    for (const e of events) expect(tickerEventSchema.safeParse(e).success).toBe(true);
  });

  it('rejects a coin without the requested currency', () => {
    const { events, rejected } = mapSimplePrice(simple, 'eur', 5);
    expect(events).toEqual([]);
    expect(rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/bitcoin: no non-negative eur price/), expect.stringMatching(/ethereum/)]);
  });
});
