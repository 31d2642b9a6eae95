import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tradeEventSchema } from '../../common/events/index.ts';
import { decodeTicker, decodeTrade, fitsDecimal } from './decode.ts';

const valid = {
  v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', tradeId: 3, price: '4261.48000000', qty: '0.07518300', quoteQty: '320.39085084',
  isBuyerMaker: false, tradeTimeUs: 1502942432322000, receivedAtUs: 1502942432400000, source: 'archive',
};
const buf = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o));

describe('decodeTrade', () => {
  it('accepts a valid trade and explains what is wrong with invalid ones', () => {
    expect(decodeTrade(buf(valid))).toEqual({ ok: true, event: valid });
    expect(decodeTrade(buf('{not json'))).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
    expect(decodeTrade(null)).toMatchObject({ ok: false, reason: 'empty message (null value)' });
    expect(decodeTrade(buf({ ...valid, price: '-1' }))).toMatchObject({ ok: false, reason: expect.stringContaining('price') });
    expect(decodeTrade(buf({ ...valid, kind: 'aggTrade' }))).toMatchObject({ ok: false, reason: expect.stringContaining('aggTrade') });
    expect(decodeTrade(buf({ ...valid, price: '1.123456789' }))).toEqual({ ok: false, reason: 'price 1.123456789 does not fit DECIMAL(18,8)' });
    expect(decodeTrade(buf({ ...valid, price: '12345678901.5' }))).toMatchObject({ ok: false, reason: expect.stringContaining('DECIMAL(18,8)') });
    expect(decodeTrade(buf({ ...valid, quoteQty: '0.12345678901234567' }))).toMatchObject({ ok: false, reason: expect.stringContaining('DECIMAL(38,16)') });
    expect(decodeTicker(buf({ v: 1 }))).toMatchObject({ ok: false });
  });

  it('fitsDecimal ignores trailing zeros and leading zeros', () => {
    expect(fitsDecimal('0.100000000000', 18, 8)).toBe(true);
    expect(fitsDecimal('0001234567890.1', 18, 8)).toBe(true);
    expect(fitsDecimal('12345678901', 18, 8)).toBe(false);
  });

  it('fitsDecimal agrees with a plain slicing reference on any digits-and-dots string', () => {
    const reference = (value: string, precision: number, scale: number) => {
      const dot = value.indexOf('.');
      const whole = dot < 0 ? value : value.slice(0, dot);
      const frac = dot < 0 ? '' : value.slice(dot + 1).replace(/0+$/, '');
      return frac.length <= scale && whole.replace(/^0+/, '').length <= precision - scale;
    };
    const text = fc.array(fc.constantFrom('0', '1', '9', '.'), { maxLength: 30 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 38 }), fc.integer({ min: 0, max: 20 }), (v, p, sc) => {
        const scale = Math.min(sc, p);
        expect(fitsDecimal(v, p, scale)).toBe(reference(v, p, scale));
      }),
      { numRuns: 3000 },
    );
  });

  it('the hand-written fast path accepts exactly what the zod schema accepts', () => {
    const field = fc.constantFrom(...Object.keys(valid), 'firstTradeId', 'lastTradeId');
    const value = fc.oneof(
      fc.constantFrom(1, 2, 0, -1, 1.5, 2 ** 53, '', 'x', 'BTCUSDT', 'btcusdt', 'binance', 'Binance', 'trade', 'aggTrade', 'ws', 'simulator', true, false, null, '01', '1.', '.5', '1.50', '0.0', '00', '1e5', ' 1'),
      fc.string(),
      fc.integer(),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(field, value), { maxLength: 3 }), fc.boolean(), (edits, remove) => {
        const o: Record<string, unknown> = { ...valid };
        for (const [k, v] of edits) {
          if (remove && k !== 'v') delete o[k];
          else o[k] = v;
        }
        const zodOk = tradeEventSchema.safeParse(o).success;
        const d = decodeTrade(buf(o));
        const fits = zodOk && [o.price, o.qty].every((x) => fitsDecimal(String(x), 18, 8)) && fitsDecimal(String(o.quoteQty), 38, 16);
        expect(d.ok).toBe(fits);
      }),
      { numRuns: 2000 },
    );
  });
});
