import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/config.ts';
import { loadBinanceWsConfig } from './ws-config.ts';
import { planConnections, tradeStreamNames } from './ws-streams.ts';

describe('combined-stream connection plan', () => {
  it('subscribes the default symbols on one connection through the URL', () => {
    const config = loadBinanceWsConfig({});
    expect(config.BINANCE_SYMBOLS).toEqual(['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT']);
    const plans = planConnections(config.BINANCE_WS_BASE_URL, tradeStreamNames(config.BINANCE_SYMBOLS, 'trade'), { maxPerConnection: 1024, microseconds: false });
    expect(plans).toEqual([
      {
        url: 'wss://stream.binance.com:9443/stream?streams=btcusdt@trade/ethusdt@trade/bnbusdt@trade/solusdt@trade/xrpusdt@trade',
        streams: ['btcusdt@trade', 'ethusdt@trade', 'bnbusdt@trade', 'solusdt@trade', 'xrpusdt@trade'],
      },
    ]);
  });

  it('never puts more than 1024 streams on one connection', () => {
    const symbols = Array.from({ length: 2500 }, (_, i) => `SYM${i}USDT`);
    const plans = planConnections('ws://h/', tradeStreamNames(symbols, 'aggTrade'), { maxPerConnection: 1024, microseconds: true });
    expect(plans.map((p) => p.streams.length)).toEqual([1024, 1024, 452]);
    expect(plans.flatMap((p) => p.streams)).toHaveLength(2500);
    expect(plans[0].url).toMatch(/^ws:\/\/h\/stream\?streams=sym0usdt@aggTrade\/sym1usdt@aggTrade\/.*&timeUnit=MICROSECOND$/);
    expect(() => planConnections('ws://h', ['a@trade'], { maxPerConnection: 2000, microseconds: false })).toThrow(RangeError);
  });

  it('rejects bad settings with the variable named', () => {
    expect(() => loadBinanceWsConfig({ BINANCE_SYMBOLS: 'btc-usdt' })).toThrow(ConfigError);
    expect(() => loadBinanceWsConfig({ BINANCE_WS_PING_INTERVAL_MS: '100' })).toThrow(/BINANCE_WS_PING_INTERVAL_MS/);
    expect(() => loadBinanceWsConfig({ BINANCE_WS_MAX_CONNECTS_PER_5_MIN: '301' })).toThrow(/BINANCE_WS_MAX_CONNECTS_PER_5_MIN/);
    expect(() => loadBinanceWsConfig({ BINANCE_WS_BASE_URL: 'http://x' })).toThrow(/BINANCE_WS_BASE_URL/);
    expect(loadBinanceWsConfig({ BINANCE_SYMBOLS: ' btcusdt , ethbtc ', BINANCE_WS_STREAM: 'aggTrade' })).toMatchObject({ BINANCE_SYMBOLS: ['BTCUSDT', 'ETHBTC'], BINANCE_WS_STREAM: 'aggTrade' });
  });
});
