import { describe, expect, it } from 'vitest';
import { sentimentEventSchema } from '../../common/events/index.ts';
import { PAYLOADS, readSharedData } from '../../test/support/recorded-payloads.ts';
import { mapFearGreed } from './mapper.ts';

const recorded = JSON.parse(readSharedData(...PAYLOADS.fearGreed).toString('utf8'));

describe('Fear & Greed mapper (recorded 2026-08-18)', () => {
  it('maps the string-valued readings, newest first as sent, with the announced next update', () => {
    const { events, secondsUntilUpdate } = mapFearGreed(recorded, 7);
    expect(events.map((e) => [e.value, e.classification, new Date(e.asOfUs / 1000).toISOString()])).toEqual([
      [41, 'Fear', '2026-08-18T00:00:00.000Z'],
      [31, 'Fear', '2026-08-17T00:00:00.000Z'],
    ]);
    expect(secondsUntilUpdate).toBe(56949);
    for (const e of events) expect(sentimentEventSchema.safeParse(e).success).toBe(true);
    expect(events[0]).toMatchObject({ source: 'alternative.me', indicator: 'fear_and_greed', receivedAtUs: 7 });
  });

  it('accepts numbers where the API usually sends strings', () => {
    const { events } = mapFearGreed({ data: [{ value: 12, value_classification: 'Extreme Fear', timestamp: 1700000000 }] }, 1);
    expect(events[0]).toMatchObject({ value: 12, asOfUs: 1700000000_000_000 });
  });

  it('throws on an API error, an out-of-range value or a foreign shape', () => {
    expect(() => mapFearGreed({ data: [], metadata: { error: 'Invalid limit' } }, 1)).toThrow(/Invalid limit/);
    expect(() => mapFearGreed({ data: [{ value: '101', value_classification: 'x', timestamp: '1' }] }, 1)).toThrow(/value/);
    expect(() => mapFearGreed([1, 2], 1)).toThrow(/unexpected body/);
  });
});
