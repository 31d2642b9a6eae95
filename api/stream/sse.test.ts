import { describe, expect, it } from 'vitest';
import { FeedEvent } from './live-feed.ts';
import { encodeDelivery, subscriptionOf } from './sse.ts';

const trade = (symbol: string, offset: number, json = `{"symbol":"${symbol}","tradeId":${offset}}`) =>
  new FeedEvent('trades', 0, offset, symbol, Buffer.from(json), 0, { before: 't1=7,t0=', after: ',c0=3' });
const frame = (symbol: string, offset: number) => `id: t1=7,t0=${offset + 1},c0=3\nevent: trade\ndata: {"symbol":"${symbol}","tradeId":${offset}}\n\n`;

const sub = (symbols: string[]) => subscriptionOf(new Set(['trades']), new Set(symbols));
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('SSE deliveries', () => {
  it('encodes a delivery once per subscription: clients asking the same get the same bytes', () => {
    const delivery = [trade('BTCUSDT', 0), trade('ETHUSDT', 1), trade('BTCUSDT', 2)];
    const a = encodeDelivery(delivery, sub(['BTCUSDT']));
    const b = encodeDelivery(delivery, sub(['BTCUSDT']));
    expect(b.bytes).toBe(a.bytes);
    expect(a.events).toBe(2);
    expect(a.last?.offset).toBe(2);
    expect(text(a.bytes)).toBe(frame('BTCUSDT', 0) + frame('BTCUSDT', 2));
    const all = encodeDelivery(delivery, sub([]));
    expect(all.bytes).not.toBe(a.bytes);
    expect(text(all.bytes)).toBe(frame('BTCUSDT', 0) + frame('ETHUSDT', 1) + frame('BTCUSDT', 2));
    expect(encodeDelivery(delivery, sub(['SOLUSDT'])).events).toBe(0);
  });

  it('frames an event with its position as id and a multi-line value as several data lines, its bytes as they came', () => {
    expect(text(encodeDelivery([trade('BTCUSDT', 4, '{\n"a":1}')], sub([])).bytes)).toBe('id: t1=7,t0=5,c0=3\nevent: trade\ndata: {\ndata: "a":1}\n\n');
    expect(text(encodeDelivery([trade('BTCUSDT', 5, '{"s":"€ü"}')], sub([])).bytes)).toBe('id: t1=7,t0=6,c0=3\nevent: trade\ndata: {"s":"€ü"}\n\n');
  });
});
