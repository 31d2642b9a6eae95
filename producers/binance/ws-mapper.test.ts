import { describe, expect, it } from 'vitest';
import { normalizeDecimal } from '../../common/decimal.ts';
import { tradeEventSchema } from '../../common/events/index.ts';
import { btcTrades20170817, recordedSpotAggTradeFrames, recordedSpotFrames, tradeFrame, trxTrades20250304 } from '../../test/support/binance/ws-frames.ts';
import { mapWsFrame, toEpochMicros } from './ws-mapper.ts';
import { readSharedData, PAYLOADS } from '../../test/support/recorded-payloads.ts';

const RECEIVED = 1_760_000_000_000_000;

describe('mapWsFrame: recorded spot aggTrade frames (cryptofeed 2021-10-12)', () => {
  it('maps both aggTrades exactly, with aggregate and trade ids', () => {
    const [nkn, lrc] = recordedSpotAggTradeFrames().map((f) => mapWsFrame(f, RECEIVED));
    expect(nkn).toEqual({
      kind: 'trade',
      stream: 'nknusdt@aggTrade',
      event: {
        v: 1, exchange: 'binance', symbol: 'NKNUSDT', kind: 'aggTrade', tradeId: 15683430, firstTradeId: 19862790, lastTradeId: 19862790,
        price: '0.35280000', qty: '58.00000000', quoteQty: '20.4624', isBuyerMaker: false, tradeTimeUs: 1633998523963000, receivedAtUs: RECEIVED, source: 'ws',
      },
    });
    expect(lrc.kind === 'trade' && lrc.event).toMatchObject({ symbol: 'LRCBTC', price: '0.00000638', qty: '177.00000000', quoteQty: '0.00112926' });
    for (const v of [nkn, lrc]) expect(v.kind === 'trade' && tradeEventSchema.safeParse(v.event).success).toBe(true);
  });

  it('ignores the other recorded streams (depth, bookTicker, kline) without calling them invalid', () => {
    const verdicts = recordedSpotFrames().map((f) => mapWsFrame(f, RECEIVED));
    expect(verdicts.filter((v) => v.kind === 'trade')).toHaveLength(2);
    expect(verdicts.filter((v) => v.kind === 'invalid')).toEqual([]);
    expect(verdicts.filter((v) => v.kind === 'ignored')).toHaveLength(263);
  });
});

describe('mapWsFrame: @trade frames from real trades', () => {
  it('keeps the 2017 BTCUSDT trades digit for digit; quoteQty equals the archive quote_qty', () => {
    const archiveQuote = readSharedData(...PAYLOADS.btcTrades20170817).toString('utf8').trim().split('\n').map((l) => l.split(',')[3]);
    const trades = btcTrades20170817();
    trades.forEach((t, i) => {
      const v = mapWsFrame(tradeFrame(t), RECEIVED);
      if (v.kind !== 'trade') throw new Error(`trade ${t.id}: ${v.kind}`);
      expect(v.event).toMatchObject({ symbol: 'BTCUSDT', kind: 'trade', tradeId: t.id, price: t.price, qty: t.qty, isBuyerMaker: t.isBuyerMaker, tradeTimeUs: t.time * 1000 });
      // Exact: the archive prints price × qty at 8 places; ours drops the trailing zeros only.
      expect(v.event.quoteQty).toBe(normalizeDecimal(archiveQuote[i]));
    });
    const first = mapWsFrame(tradeFrame(trades[2]), RECEIVED);
    expect(first.kind === 'trade' && first.event.quoteQty).toBe('320.39085084');
  });

  it('reads microsecond times (timeUnit=MICROSECOND) as µs', () => {
    const trx = trxTrades20250304()[0];
    const v = mapWsFrame(tradeFrame(trx), RECEIVED);
    expect(v.kind === 'trade' && v.event).toMatchObject({ symbol: 'TRXUSDT', tradeId: 348656870, price: '0.2312', qty: '2619.4', tradeTimeUs: 1741046401271497, isBuyerMaker: true });
    expect(toEpochMicros(1502942428322)).toBe(1502942428322000);
    expect(toEpochMicros(1741046401271497)).toBe(1741046401271497);
  });

  it('tolerates the older frames that carry buyer and seller order ids', () => {
    const frame = '{"stream":"bnbbtc@trade","data":{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","b":88,"a":50,"T":1672515782136,"m":true,"M":true}}';
    expect(mapWsFrame(frame, RECEIVED)).toMatchObject({ kind: 'trade', event: { tradeId: 12345, quoteQty: '0.1' } });
  });
});

describe('mapWsFrame: malformed frames', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['truncated JSON', '{"stream":"btcusdt@trade","data":{"e":"tra', /not JSON/],
    ['binary garbage', Buffer.from([0xff, 0x00, 0x13]), /not JSON/],
    ['an array', '[1,2]', /not a JSON object/],
    ['a float price', '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":4261.48,"q":"1","T":1,"m":true}}', /trade: p:/],
    ['a negative id', '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":-1,"p":"1","q":"1","T":1,"m":true}}', /trade: t:/],
    ['an exponent qty', '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1e-8","T":1,"m":true}}', /trade: q:/],
    ['a missing maker flag', '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","T":1}}', /trade: m:/],
    ['a symbol on the wrong stream', '{"stream":"ethusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","T":1,"m":true}}', /arrived on stream ethusdt@trade/],
    ['first > last', '{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1","q":"1","f":5,"l":4,"T":1,"m":true}}', /first trade id 5 > last 4/],
    ['a wrapper without data', '{"stream":"btcusdt@trade"}', /combined-stream frame without/],
    ['an error reply', '{"code":2,"msg":"Invalid request"}', /error from Binance: 2 Invalid request/],
  ];
  it.each(cases)('dead-letters %s with a reason', (_, frame, reason) => {
    const v = mapWsFrame(frame, RECEIVED);
    expect(v.kind).toBe('invalid');
    expect(v.kind === 'invalid' && v.reason).toMatch(reason);
  });

  it('ignores subscription replies', () => {
    expect(mapWsFrame('{"result":null,"id":1}', RECEIVED)).toEqual({ kind: 'ignored', reason: 'control reply' });
  });
});
