/** JSON event batches: the bytes as received become exactly the rows the event mappers make. */
import { describe, expect, it } from 'vitest';
import { batchLength, isJsonEvents, JsonEventsBuilder, materializeRows } from './json-events.ts';
import { tradeEventToRow } from './tables/bronze-trades.ts';

const trade = (id: number, price: string) => ({
  v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', tradeId: id, price, qty: '0.01000000', quoteQty: '4.26148000',
  isBuyerMaker: false, tradeTimeUs: 1_502_942_428_322_000 + id, receivedAtUs: 1_700_000_000_000_000, source: 'archive',
});

describe('JsonEventsBuilder and materializeRows', () => {
  it('builds one buffer from several builders, in order, and maps every event like tradeEventToRow', () => {
    const a = new JsonEventsBuilder('trade');
    const b = new JsonEventsBuilder('trade');
    a.push(Buffer.from(JSON.stringify(trade(1, '4261.48000000'))));
    // Pretty-printed (newlines inside) and with a duplicate key: JSON.parse keeps the last value.
    a.push(Buffer.from(JSON.stringify(trade(2, '1.00000000'), null, 2).replace('"price": "1.00000000"', '"price": "1.00000000", "price": "4262.00000000"')));
    b.pushEvent(trade(3, '4263.10000000'));
    const batch = JsonEventsBuilder.build([a, b]);
    expect(isJsonEvents(batch)).toBe(true);
    expect(batchLength(batch)).toBe(3);
    expect(batch.bytes.byteOffset).toBe(0);
    expect(batch.bytes.byteLength).toBe(batch.bytes.buffer.byteLength);
    const rows = materializeRows(batch);
    expect(rows).toEqual([trade(1, '4261.48000000'), trade(2, '4262.00000000'), trade(3, '4263.10000000')].map((t) => tradeEventToRow(t as never)));
  });

  it('rows pass through unchanged; kinds do not mix', () => {
    const rows = [{ a: 1 }];
    expect(materializeRows(rows)).toBe(rows);
    expect(batchLength(rows)).toBe(1);
    expect(() => JsonEventsBuilder.build([new JsonEventsBuilder('trade'), new JsonEventsBuilder('news')])).toThrow(/mixed/);
    expect(() => JsonEventsBuilder.build([])).toThrow(/no builders/);
  });
});
