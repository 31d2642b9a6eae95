/**
 * The fast trade check must accept exactly what the zod schema (the contract) accepts and write
 * exactly what JSON.stringify(zod's output) writes. fast-check generates valid trades, trades with
 * one field broken in every way we could think of, and arbitrary junk.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tradeEventSchema } from '../../common/events/index.ts';
import { TOPICS } from '../../common/topics.ts';
import { DEFAULT_ENCODERS, encodeTrade, isValidTradeFast } from './event-encoders.ts';

const decimal = fc.oneof(
  fc.stringMatching(/^(0|[1-9]\d{0,6})(\.\d{1,8})?$/),
  fc.constantFrom('4261.48000000', '0.00000001', '0', '10', '0.1'),
);
const safeInt = fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));

const validTrade = fc
  .record({
    v: fc.constant(1),
    exchange: fc.stringMatching(/^[a-z0-9_-]{1,12}$/),
    symbol: fc.stringMatching(/^[A-Z0-9]{1,12}$/),
    kind: fc.constantFrom('trade', 'aggTrade'),
    tradeId: safeInt,
    price: decimal,
    qty: decimal,
    quoteQty: decimal,
    isBuyerMaker: fc.boolean(),
    tradeTimeUs: safeInt,
    receivedAtUs: safeInt,
    source: fc.constantFrom('ws', 'rest', 'archive', 'simulator'),
  })
  .chain((t) =>
    t.kind === 'aggTrade'
      ? fc.tuple(safeInt, fc.nat()).map(([first, span]) => ({ ...t, firstTradeId: first, lastTradeId: Math.min(first + span, Number.MAX_SAFE_INTEGER) }))
      : fc.option(fc.tuple(safeInt, safeInt), { nil: undefined }).map((ids) => (ids ? { ...t, firstTradeId: ids[0], lastTradeId: ids[1] } : t)),
  );

/** Values that break one field: wrong types, edge numbers, bad strings. */
const badValue = fc.oneof(
  fc.constantFrom<unknown>(
    undefined, null, -1, -0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 53, '1', '', ' 1', '01', '1.', '.5', '-1', '1e5',
    '4261.48 ', 'BTC-USDT', 'btcusdt', 'BINANCE', true, 'true', [], {}, 0, 2,
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
);

const fields = ['v', 'exchange', 'symbol', 'kind', 'tradeId', 'firstTradeId', 'lastTradeId', 'price', 'qty', 'quoteQty', 'isBuyerMaker', 'tradeTimeUs', 'receivedAtUs', 'source'];

const mutatedTrade = fc.tuple(validTrade, fc.constantFrom(...fields), badValue, fc.boolean()).map(([t, field, value, remove]) => {
  const copy: Record<string, unknown> = { ...t, extraField: 'ignored' };
  if (remove) delete copy[field];
  else copy[field] = value;
  return copy;
});

function zodVerdict(value: unknown): { ok: boolean; json?: string } {
  const r = tradeEventSchema.safeParse(value);
  return r.success ? { ok: true, json: JSON.stringify(r.data) } : { ok: false };
}

describe('trade encoder (fast path) vs tradeEventSchema (contract)', () => {
  it('accepts every valid trade and writes the same JSON as zod', () => {
    fc.assert(
      fc.property(validTrade, (t) => {
        expect(isValidTradeFast(t)).toBe(true);
        const encoded = encodeTrade(t);
        expect(encoded).toEqual({ ok: true, json: zodVerdict(t).json });
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees with zod on trades with one field broken or removed', () => {
    fc.assert(
      fc.property(mutatedTrade, (t) => {
        const contract = zodVerdict(t);
        expect(isValidTradeFast(t)).toBe(contract.ok);
        const encoded = encodeTrade(t);
        expect(encoded.ok).toBe(contract.ok);
        if (encoded.ok) expect(encoded.json).toBe(contract.json);
        else expect(encoded.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 5_000 },
    );
  });

  it('agrees with zod on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        expect(isValidTradeFast(v)).toBe(zodVerdict(v).ok);
      }),
      { numRuns: 2_000 },
    );
  });

  it('rejects an aggTrade whose first id is after its last, with zod’s reason', () => {
    const t = {
      v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'aggTrade', tradeId: 1, firstTradeId: 9, lastTradeId: 3,
      price: '1', qty: '1', quoteQty: '1', isBuyerMaker: false, tradeTimeUs: 1, receivedAtUs: 1, source: 'archive',
    };
    const encoded = encodeTrade(t);
    expect(encoded.ok).toBe(false);
    if (!encoded.ok) expect(encoded.reason).toContain('firstTradeId <= lastTradeId');
  });

  it('names the bad field in the reason', () => {
    const encoded = encodeTrade({ v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', tradeId: 0, price: '4261.48e0', qty: '1', quoteQty: '1', isBuyerMaker: true, tradeTimeUs: 0, receivedAtUs: 0, source: 'ws' });
    expect(encoded).toEqual({ ok: false, reason: expect.stringContaining('price: must be a non-negative decimal string') });
  });

  it('has an encoder for every topic of common/topics.ts', () => {
    for (const topic of Object.values(TOPICS)) expect(DEFAULT_ENCODERS[topic], topic).toBeTypeOf('function');
  });
});
