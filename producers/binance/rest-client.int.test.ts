/** The REST client against the local Binance server (real 2017-08-17 data). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { underlyingTradeCount, type TradeEvent, type Kline } from '../../common/events/index.ts';
import { KLINES_2017_CSV, startBinanceLocalServer, type BinanceLocalServer } from '../../test/support/binance/binance-local-server.ts';
import { readArchiveKlines } from './archive-reader.ts';
import { BinanceRestClient, InvalidSymbolError } from './rest-client.ts';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const DAY_START_MS = Date.UTC(2017, 7, 17);
const DAY_END_MS = Date.UTC(2017, 7, 18) - 1;
let server: BinanceLocalServer;
beforeAll(async () => {
  server = await startBinanceLocalServer();
});
afterAll(async () => server.close());

const ids = (ts: TradeEvent[]) => ts.map((t) => [t.tradeId, t.firstTradeId, t.lastTradeId, t.price, t.qty]);

describe('BinanceRestClient', () => {
  it('pages aggTrades by fromId over the whole day: contiguous ids, every trade once', async () => {
    const client = new BinanceRestClient({ baseUrl: server.url });
    const before = server.requests.length;
    const aggs = await collect(client.aggTradesFromId('BTCUSDT', 0));
    expect(aggs.reduce((n, a) => n + underlyingTradeCount(a), 0)).toBe(3_427);
    aggs.forEach((a, i) => expect(a.tradeId).toBe(i));
    expect(server.requests.length - before).toBe(Math.ceil((aggs.length + 1) / 1000));
    expect(aggs[0]).toMatchObject({ kind: 'aggTrade', source: 'rest', exchange: 'binance', symbol: 'BTCUSDT', tradeTimeUs: 1_502_942_428_322_000 });
  });

  it('pages aggTrades by time (1-hour windows) to the same trades', async () => {
    const client = new BinanceRestClient({ baseUrl: server.url });
    const byId = await collect(client.aggTradesFromId('BTCUSDT', 0));
    const byTime = await collect(client.aggTradesBetween('BTCUSDT', DAY_START_MS, DAY_END_MS));
    expect(ids(byTime)).toEqual(ids(byId));
    const afternoon = await collect(client.aggTradesBetween('BTCUSDT', DAY_START_MS + 12 * 3_600_000, DAY_START_MS + 14 * 3_600_000 - 1));
    expect(afternoon.length).toBeGreaterThan(0);
    for (const t of afternoon) expect(t.tradeTimeUs / 1000).toBeGreaterThanOrEqual(DAY_START_MS + 12 * 3_600_000);
    for (const t of afternoon) expect(t.tradeTimeUs / 1000).toBeLessThan(DAY_START_MS + 14 * 3_600_000);
    const time = server.requests.filter((r) => r.path === '/api/v3/aggTrades' && r.query.has('startTime'));
    for (const r of time) expect(Number(r.query.get('endTime')) - Number(r.query.get('startTime'))).toBeLessThan(3_600_000);
  });

  it('pages klines and returns what the archive holds, in µs', async () => {
    const client = new BinanceRestClient({ baseUrl: server.url });
    const rest = await collect(client.klinesBetween('BTCUSDT', '1m', DAY_START_MS, DAY_END_MS));
    const archive: Kline[] = await collect(readArchiveKlines(KLINES_2017_CSV));
    expect(rest).toHaveLength(1_200);
    expect(rest).toEqual(archive);
  });

  it('honours 429 and 418 Retry-After, then succeeds', async () => {
    const client = new BinanceRestClient({ baseUrl: server.url });
    server.failNext('/api/v3/klines', [{ status: 429, retryAfterSeconds: 1 }, { status: 418, retryAfterSeconds: 1 }]);
    const started = Date.now();
    const page = await client.klines({ symbol: 'BTCUSDT', interval: '1m', startTimeMs: DAY_START_MS, limit: 5 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_950);
    expect(page).toHaveLength(5);
    expect(client.stats.rateLimited).toBe(2);
  });

  it('retries server errors with backoff', async () => {
    const client = new BinanceRestClient({ baseUrl: server.url, minBackoffMs: 20 });
    server.failNext('/api/v3/aggTrades', [{ status: 503 }, { status: 500 }]);
    const page = await client.aggTrades({ symbol: 'BTCUSDT', fromId: 10, limit: 3 });
    expect(page.map((t) => t.tradeId)).toEqual([10, 11, 12]);
    expect(client.stats.retries).toBe(2);
  });

  it('fails at once with a clear error for a symbol Binance does not know', async () => {
    const client = new BinanceRestClient({ baseUrl: server.url });
    const before = server.requests.length;
    const err = await client.aggTrades({ symbol: 'NOPEUSDT', fromId: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidSymbolError);
    expect((err as InvalidSymbolError).code).toBe(-1121);
    expect((err as Error).message).toContain('"NOPEUSDT"');
    expect(server.requests.length - before).toBe(1);
  });

  it('takes the used weight from X-MBX-USED-WEIGHT-1m', async () => {
    const fresh = await startBinanceLocalServer();
    try {
      const a = new BinanceRestClient({ baseUrl: fresh.url });
      const b = new BinanceRestClient({ baseUrl: fresh.url });
      await a.klines({ symbol: 'BTCUSDT', interval: '1m', limit: 1 });
      await a.klines({ symbol: 'BTCUSDT', interval: '1m', limit: 1 });
      await b.aggTrades({ symbol: 'BTCUSDT', limit: 1 });
      // b spent 4 itself, but the server counts a's 4 too: the header wins (unless a minute just turned).
      expect([8, 4]).toContain(b.weight.usedThisMinute);
    } finally {
      await fresh.close();
    }
  });
});
