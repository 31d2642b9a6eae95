/**
 * The Binance websocket producer against a local server speaking the combined-stream protocol:
 * real trades (2017 BTCUSDT archive, 2025 TRXUSDT capture) and recorded frames, then a dropped
 * connection, a silent one (no pings answered), skipped ids, duplicates and malformed frames.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { TRADE_GAPS_TOPIC, tradeGapEventSchema, type TradeGapEvent, type TradeEvent } from '../../common/events/index.ts';
import { createLogger } from '../../common/logger.ts';
import { TOPICS } from '../../common/topics.ts';
import { startBinanceLocalServer } from '../../test/support/binance/binance-local-server.ts';
import { startHttpReplayServer } from '../../test/support/http-replay-server.ts';
import { MemorySink } from '../../test/support/memory-sink.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { startBinanceWsServer, type BinanceWsTestServer } from '../../test/support/binance/ws-binance-server.ts';
import { btcTrades20170817, recordedSpotFrames, tradeFrame, trxTrades20250304, type RecordedTrade } from '../../test/support/binance/ws-frames.ts';
import { loadBinanceWsConfig } from './ws-config.ts';
import { createBinanceWsProducer, type BinanceWsDeps } from './ws-producer.ts';
import { BinanceRestClient } from './rest-client.ts';
import { createBinanceProducer, loadBinanceConfig } from './index.ts';

const btc = btcTrades20170817();
const trx = trxTrades20250304().slice(0, 100);
const logger = createLogger('test', 'silent');
const MALFORMED = [
  '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":4261.48,"q":"1","T":1,"m":true}}',
  '{"stream":"btcusdt@trade","data":{"e":"tra',
  'not json at all',
];

let server: BinanceWsTestServer | undefined;
let stop = new AbortController();
afterEach(async () => {
  stop.abort();
  await server?.close();
});

function start(env: Record<string, string> = {}, extra: Partial<BinanceWsDeps> = {}) {
  const config = loadBinanceWsConfig({
    BINANCE_WS_BASE_URL: server!.url,
    BINANCE_SYMBOLS: 'BTCUSDT,TRXUSDT,NKNUSDT,LRCBTC',
    BINANCE_WS_STALE_MS: '700',
    BINANCE_WS_PING_INTERVAL_MS: '200',
    BINANCE_WS_BACKOFF_INITIAL_MS: '50',
    BINANCE_WS_BACKOFF_MAX_MS: '200',
    ...env,
  });
  const sink = new MemorySink({ [TRADE_GAPS_TOPIC]: tradeGapEventSchema });
  const registry = new Registry();
  stop = new AbortController();
  const producer = createBinanceWsProducer(config, sink, { signal: stop.signal, logger, registry, ...extra });
  const running = producer.run();
  return { sink, registry, producer, running };
}

const frames = (trades: readonly RecordedTrade[]) => trades.map(tradeFrame);
const range = (from: number, to: number) => btc.slice(from, to + 1);

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

describe('Binance websocket producer (local combined-stream server)', () => {
  it('reconnects after a drop and after a silent connection, reports each gap with the right ids, dead-letters bad frames, and passes every valid trade on exactly', async () => {
    server = await startBinanceWsServer();
    const { sink, registry, producer, running } = start();

    // Connection 1: trades 0..999 with malformed frames in between; Binance-style server ping; then a network drop.
    const c1 = await server.connection(1);
    expect(c1.path).toBe('/stream?streams=btcusdt@trade/trxusdt@trade/nknusdt@trade/lrcbtc@trade');
    await c1.sendAll(frames(range(0, 499)));
    await c1.sendAll(MALFORMED);
    await c1.sendAll(frames(range(500, 999)));
    c1.ping();
    await waitFor(() => c1.pongsReceived >= 1, 'the client to answer our ping');
    await waitFor(() => sink.on(TOPICS.trades).length === 1000, 'the first 1000 trades');
    c1.drop();

    // Connection 2: resumes at 1003 (1000..1002 were lost in the drop), skips 1500..1509, then goes silent.
    const c2 = await server.connection(2);
    await c2.sendAll(frames([...range(1003, 1499), ...range(1510, 1999)]));
    await waitFor(() => c2.pingsReceived >= 1, 'a client ping');
    c2.silence();

    // Connection 3: replays 1995..1999 (duplicates), continues to 2499, then recorded frames of
    // other streams (ignored) with two real aggTrades, and TRXUSDT trades with µs times.
    const c3 = await server.connection(3);
    await c3.sendAll(frames(range(1995, 2499)));
    await c3.sendAll(recordedSpotFrames());
    await c3.sendAll(frames(trx));
    const expected = [...range(0, 999), ...range(1003, 1499), ...range(1510, 2499)];
    await waitFor(() => sink.on(TOPICS.trades).length === expected.length + 2 + trx.length, 'every valid trade');
    stop.abort();
    await running;

    const trades = sink.on<TradeEvent>(TOPICS.trades);
    const btcOut = trades.filter((t) => t.symbol === 'BTCUSDT');
    expect(btcOut.map((t) => [t.tradeId, t.price, t.qty, t.isBuyerMaker, t.tradeTimeUs])).toEqual(expected.map((t) => [t.id, t.price, t.qty, t.isBuyerMaker, t.time * 1000]));
    expect(btcOut.every((t) => t.source === 'ws' && t.kind === 'trade')).toBe(true);
    const trxOut = trades.filter((t) => t.symbol === 'TRXUSDT');
    expect(trxOut.map((t) => [t.tradeId, t.price, t.qty, t.tradeTimeUs])).toEqual(trx.map((t) => [t.id, t.price, t.qty, t.time]));
    expect(trades.filter((t) => t.kind === 'aggTrade').map((t) => `${t.symbol}:${t.tradeId}`)).toEqual(['NKNUSDT:15683430', 'LRCBTC:9213679']);
    expect(sink.published.filter((p) => p.topic === TOPICS.trades).every((p) => p.key === `binance:${(p.value as TradeEvent).symbol}`)).toBe(true);

    const gaps = sink.on<TradeGapEvent>(TRADE_GAPS_TOPIC);
    expect(gaps.map((g) => [g.symbol, g.firstMissingTradeId, g.lastMissingTradeId, g.acrossReconnect, g.status])).toEqual([
      ['BTCUSDT', 1000, 1002, true, 'open'],
      ['BTCUSDT', 1500, 1509, false, 'open'],
    ]);
    expect(gaps[0]).toMatchObject({ afterTradeTimeUs: btc[999].time * 1000, beforeTradeTimeUs: btc[1003].time * 1000 });

    expect(sink.deadLetters.map((d) => Buffer.from(d.rawBase64, 'base64').toString('utf8'))).toEqual(MALFORMED);
    expect(sink.deadLetters.map((d) => d.reason)).toEqual([expect.stringMatching(/^trade: p:/), expect.stringMatching(/^not JSON/), expect.stringMatching(/^not JSON/)]);
    expect(sink.deadLetters.every((d) => d.stage === 'binance-ws' && d.origin?.startsWith(server!.url))).toBe(true);

    expect(producer.disconnects.map((d) => d.reason)).toEqual([expect.stringMatching(/^(error|closed by server)/), expect.stringMatching(/^stale: no frame for 700 ms/)]);
    for (const d of producer.disconnects) expect(d.to).toBeGreaterThanOrEqual(d.from);
    expect(await metricValue(registry, 'marketlake_binance_ws_duplicate_trades_total')).toBe(5);
    expect(await metricValue(registry, 'marketlake_binance_ws_frames_total', { verdict: 'ignored' })).toBe(263);
    expect(await metricValue(registry, 'marketlake_binance_ws_gaps_total', { status: 'open' })).toBe(2);
    expect(await metricValue(registry, 'marketlake_binance_ws_missing_trades_total')).toBe(13);
    expect(await metricValue(registry, 'marketlake_binance_ws_disconnects_total', { cause: 'stale' })).toBe(1);
    const disconnectSeconds = await registry.getSingleMetric('marketlake_binance_ws_disconnect_seconds')!.get();
    expect(disconnectSeconds.values.find((v) => (v as { metricName?: string }).metricName === 'marketlake_binance_ws_disconnect_seconds_count')!.value).toBe(2);
  });

  it('fills small gaps from REST (/api/v3/aggTrades on a local Binance server) before passing the next live trade on, and leaves large ones open', async () => {
    server = await startBinanceWsServer();
    const restServer = await startBinanceLocalServer();
    try {
      const rest = new BinanceRestClient({ baseUrl: restServer.url });
      const aggs = await rest.aggTrades({ symbol: 'BTCUSDT', fromId: 0, limit: 1000 });
      // Gap edges between aggregates, so that the repair can be exact. Trades 300..320 span more than an hour.
      const startAgg = aggs.find((a) => a.firstTradeId! >= 300)!;
      const endAgg = aggs.find((a) => a.lastTradeId! >= startAgg.firstTradeId! + 20)!;
      const [from, to] = [startAgg.firstTradeId!, endAgg.lastTradeId!];
      // Through index.ts, as `marketlake produce binance` builds it: the REST client comes from BINANCE_REST_BASE_URL.
      const config = loadBinanceConfig({ BINANCE_WS_BASE_URL: server.url, BINANCE_REST_BASE_URL: restServer.url, BINANCE_SYMBOLS: 'BTCUSDT', BINANCE_WS_REPAIR_MAX_TRADES: '100' });
      const sink = new MemorySink({ [TRADE_GAPS_TOPIC]: tradeGapEventSchema });
      stop = new AbortController();
      const running = createBinanceProducer(config, sink, { signal: stop.signal, logger, registry: new Registry() }).run();
      const c1 = await server.connection(1);
      await c1.sendAll(frames([...range(0, from - 1), ...range(to + 1, 999), ...range(1300, 1400)]));
      await waitFor(() => sink.on<TradeEvent>(TOPICS.trades).some((t) => t.tradeId === 1400 && t.source === 'ws'), 'the last trade');
      stop.abort();
      await running;

      const gaps = sink.on<TradeGapEvent>(TRADE_GAPS_TOPIC);
      expect(gaps.map((g) => [g.firstMissingTradeId, g.lastMissingTradeId, g.status])).toEqual([
        [from, to, 'filled'],
        [1000, 1299, 'open'], // 300 trades: above BINANCE_WS_REPAIR_MAX_TRADES
      ]);
      expect(gaps[0].filledBy).toBe('rest');
      const trades = sink.on<TradeEvent>(TOPICS.trades);
      // In id order: the repaired trades come between the trade before and the trade after the gap.
      const firstIds = trades.map((t) => t.firstTradeId ?? t.tradeId);
      expect(firstIds).toEqual([...firstIds].sort((a, b) => a - b));
      const covered = new Set<number>();
      for (const t of trades) for (let id = t.firstTradeId ?? t.tradeId; id <= (t.lastTradeId ?? t.tradeId); id++) covered.add(id);
      expect(covered.size).toBe(1000 + 101);
      const repaired = trades.filter((t) => t.source === 'rest');
      expect(repaired.length).toBeGreaterThan(0);
      for (const t of repaired.filter((r) => r.kind === 'trade')) expect([t.price, t.qty]).toEqual([btc[t.tradeId].price, btc[t.tradeId].qty]);
      expect(restServer.requests.filter((r) => r.path === '/api/v3/aggTrades').length).toBeGreaterThanOrEqual(2);
    } finally {
      await restServer.close();
    }
  });

  it('leaves a gap open and carries on when REST does not answer within BINANCE_WS_REPAIR_TIMEOUT_MS', async () => {
    server = await startBinanceWsServer();
    const hanging = await startHttpReplayServer({ '/api/v3/aggTrades': [{ delayMs: 5_000, body: '[]' }] });
    try {
      const config = loadBinanceConfig({ BINANCE_WS_BASE_URL: server.url, BINANCE_REST_BASE_URL: hanging.url, BINANCE_SYMBOLS: 'BTCUSDT', BINANCE_WS_REPAIR_TIMEOUT_MS: '300' });
      const sink = new MemorySink({ [TRADE_GAPS_TOPIC]: tradeGapEventSchema });
      stop = new AbortController();
      const running = createBinanceProducer(config, sink, { signal: stop.signal, logger, registry: new Registry() }).run();
      const c1 = await server.connection(1);
      const t0 = Date.now();
      await c1.sendAll(frames([...range(0, 9), ...range(15, 20)]));
      await waitFor(() => sink.on(TOPICS.trades).length === 16, 'the trades after the gap');
      expect(Date.now() - t0).toBeLessThan(3_000);
      stop.abort();
      await running;
      expect(sink.on<TradeGapEvent>(TRADE_GAPS_TOPIC).map((g) => [g.firstMissingTradeId, g.lastMissingTradeId, g.status])).toEqual([[10, 14, 'open']]);
      expect(hanging.requestsTo('/api/v3/aggTrades').length).toBeGreaterThanOrEqual(1);
    } finally {
      await hanging.close();
    }
  });

  it('reconnects on its own before the server cut (planned, no backoff), and keeps trying while handshakes fail', async () => {
    server = await startBinanceWsServer();
    const { sink, producer, running } = start({ BINANCE_WS_MAX_CONNECTION_MS: '400', BINANCE_WS_STALE_MS: '5000', BINANCE_WS_PING_INTERVAL_MS: '1000' });
    const c1 = await server.connection(1);
    await c1.sendAll(frames(range(0, 9)));
    await c1.closed; // we closed it: planned
    const c2 = await server.connection(2);
    expect(c2.openedAt - c1.openedAt).toBeGreaterThanOrEqual(400);
    server.refuseNext(3);
    await c2.sendAll(frames(range(10, 19)));
    await c2.closed;
    const c3 = await server.connection(3);
    expect(server.refusedAttempts).toBe(3);
    await c3.sendAll(frames(range(20, 29)));
    await waitFor(() => sink.on(TOPICS.trades).length === 30, '30 trades');
    stop.abort();
    await running;
    expect(producer.disconnects.slice(0, 2).map((d) => d.reason)).toEqual([expect.stringMatching(/^planned reconnect/), expect.stringMatching(/^error: /)]);
    expect(sink.on(TRADE_GAPS_TOPIC)).toEqual([]);
  });
});
