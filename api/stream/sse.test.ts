import { describe, expect, it } from 'vitest';
import type { FeedEvent } from './live-feed.ts';
import { encodeDelivery, frameOf, subscriptionOf } from './sse.ts';

const trade = (symbol: string, offset: number): FeedEvent => ({
  channel: 'trades',
  partition: 0,
  offset,
  symbol,
  json: `{"symbol":"${symbol}","tradeId":${offset}}`,
  id: `t0=${offset + 1}`,
  receivedAt: 0,
});

const sub = (symbols: string[]) => subscriptionOf(new Set(['trades']), new Set(symbols));

describe('SSE deliveries', () => {
  it('encodes a delivery once per subscription: clients asking the same get the same bytes', () => {
    const delivery = [trade('BTCUSDT', 0), trade('ETHUSDT', 1), trade('BTCUSDT', 2)];
    const a = encodeDelivery(delivery, sub(['BTCUSDT']));
    const b = encodeDelivery(delivery, sub(['BTCUSDT']));
    expect(b.bytes).toBe(a.bytes);
    expect(a.events).toBe(2);
    expect(a.last?.offset).toBe(2);
    expect(new TextDecoder().decode(a.bytes)).toBe(frameOf(delivery[0]) + frameOf(delivery[2]));
    const all = encodeDelivery(delivery, sub([]));
    expect(all.bytes).not.toBe(a.bytes);
    expect(new TextDecoder().decode(all.bytes)).toBe(delivery.map(frameOf).join(''));
    expect(encodeDelivery(delivery, sub(['SOLUSDT'])).events).toBe(0);
  });

  it('frames an event with its position as id and a multi-line value as several data lines', () => {
    expect(frameOf(trade('BTCUSDT', 4))).toBe('id: t0=5\nevent: trade\ndata: {"symbol":"BTCUSDT","tradeId":4}\n\n');
    expect(frameOf({ ...trade('BTCUSDT', 5), json: '{\n"a":1}' })).toBe('id: t0=6\nevent: trade\ndata: {\ndata: "a":1}\n\n');
  });
});
