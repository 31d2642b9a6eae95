import { describe, expect, it } from 'vitest';
import type { CandleEvent, TradeEvent } from '../../common/events/index.ts';
import { loadOracleKlines, loadOracleTrades } from '../../test/support/streaming/binance-oracle.ts';
import { CandleOperator, MINUTE_US } from './candle-operator.ts';
import { Watermarks } from './watermarks.ts';

function trade(id: number, timeUs: number, price = '100.00000000'): TradeEvent {
  return { v: 1, exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', tradeId: id, price, qty: '1.00000000', quoteQty: price, isBuyerMaker: false, tradeTimeUs: timeUs, receivedAtUs: timeUs, source: 'simulator' };
}

const T0 = Date.UTC(2017, 7, 17, 10, 0, 0) * 1000;
const HOUR = 60 * MINUTE_US;

describe('CandleOperator: bounded empty-window fill', () => {
  it('fills quiet minutes within the gap, leaves a longer gap missing, and skips nine years without walking them', () => {
    const op = new CandleOperator({ maxFillGapMs: 3 * 3_600_000, watermarkBoundMs: 0 });
    op.add(trade(1, T0), 0, 0);
    op.add(trade(2, T0 + 10 * MINUTE_US + 5), 0, 0);
    const later = Date.UTC(2026, 11, 1, 12, 0, 0) * 1000;
    op.add(trade(3, later), 0, 0);
    op.add(trade(4, later + 2 * MINUTE_US), 0, 0); // moves the watermark past `later`'s minute
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const out = op.advance(0);
    const ms = performance.now() - t0;
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    const minutes = out.filter((c) => c.interval === '1m');
    // 10:00..10:10 (11 minutes, 9 quiet), then 180 quiet minutes after 10:10, then the two new minutes.
    expect(minutes.filter((c) => c.windowStartUs < later)).toHaveLength(11 + 180);
    expect(minutes.at(-1 - 2)!.windowStartUs).toBe(T0 + (10 + 180) * MINUTE_US);
    expect(minutes.filter((c) => c.windowStartUs >= later).map((c) => (c.windowStartUs - later) / MINUTE_US)).toEqual([0, 1]);
    // 1h windows: 10:00 (traded), then 11:00, 12:00, 13:00 (start within 3 h of 10:10); the new one is still open.
    expect(out.filter((c) => c.interval === '1h').map((c) => (c.windowStartUs - T0) / HOUR)).toEqual([0, 1, 2, 3]);
    expect(op.counters.missingMinutes).toBe((later - T0) / MINUTE_US - 11 - 180);
    // The gap is recorded (not only absent): its range, once when it began and whole when it ended.
    const gapFrom = T0 + (10 + 181) * MINUTE_US;
    const gapMinutes = (later - gapFrom) / MINUTE_US;
    expect(op.takeMissing()).toEqual({
      minutes: [{ exchange: 'binance', symbol: 'BTCUSDT', minutes: gapMinutes }],
      opened: [{ exchange: 'binance', symbol: 'BTCUSDT', fromUs: gapFrom }],
      closed: [{ exchange: 'binance', symbol: 'BTCUSDT', fromUs: gapFrom, untilUs: later, minutes: gapMinutes }],
    });
    expect(op.takeMissing()).toEqual({ minutes: [], opened: [], closed: [] });
    // Nine years of minutes were skipped, not materialised.
    expect(ms).toBeLessThan(500);
    expect(heapGrowth).toBeLessThan(50 * 1024 * 1024);
  });

  it('a gap still open is reported once when it begins, counted as the watermark passes it, and whole when trades resume', () => {
    // Processing time moves the watermark while the source is idle (the symbol stopped trading).
    const op = new CandleOperator({ maxFillGapMs: 3_600_000, watermarkBoundMs: 0, idleTimeoutMs: 1_000, idleAdvanceMs: 1_000 });
    op.add(trade(1, T0), 0, 0);
    op.advance(3 * 3_600_000); // the watermark at about T0 + 3 h
    const first = op.takeMissing();
    expect(first.opened).toEqual([{ exchange: 'binance', symbol: 'BTCUSDT', fromUs: T0 + 61 * MINUTE_US }]);
    expect(first.closed).toEqual([]);
    const firstMinutes = first.minutes[0].minutes;
    expect(firstMinutes).toBeGreaterThan(100);
    op.advance(5 * 3_600_000); // two more hours of the same gap: counted, not reported again
    const second = op.takeMissing();
    expect(second.opened).toEqual([]);
    expect(second.closed).toEqual([]);
    expect(second.minutes[0].minutes).toBe(120);
    const resumed = T0 + 6 * HOUR;
    op.add(trade(2, resumed), 0, 5 * 3_600_000 + 1);
    op.advance(5 * 3_600_000 + 1 + 3 * 60_000); // idle again: the watermark passes the resumed minute
    const third = op.takeMissing();
    const whole = (resumed - (T0 + 61 * MINUTE_US)) / MINUTE_US;
    expect(third.closed).toEqual([{ exchange: 'binance', symbol: 'BTCUSDT', fromUs: T0 + 61 * MINUTE_US, untilUs: resumed, minutes: whole }]);
    expect(firstMinutes + second.minutes[0].minutes + third.minutes[0].minutes).toBe(whole);
    expect(op.counters.missingMinutes).toBe(whole);
  });

  it('still fills every quiet minute of the 2017 oracle day (its longest gap is 21 minutes)', () => {
    const op = new CandleOperator();
    const out: CandleEvent[] = [];
    for (const t of loadOracleTrades()) op.add(t, 0, 0);
    // Processing time moves the watermark past the day's end once the source is idle (below).
    out.push(...op.advance(0), ...op.advance(200_000));
    const day = out.filter((c) => c.interval === '1m' && c.windowStartUs < Date.UTC(2017, 7, 18) * 1000);
    expect(day).toHaveLength(loadOracleKlines().length);
    expect(day.every((c) => c.isFinal)).toBe(true);
  });
});

describe('Watermarks: idle sources', () => {
  it('an idle source stops holding back; once every source is idle, processing time moves the watermark on', () => {
    const w = new Watermarks(2_000_000, 5_000, 10_000);
    w.observe(0, 100_000_000, 0);
    w.observe(1, 50_000_000, 0);
    expect(w.advance(1_000)).toBe(48_000_000); // both active: the minimum
    w.observe(0, 110_000_000, 6_000);
    expect(w.advance(6_000)).toBe(108_000_000); // partition 1 idle: it no longer holds back
    expect(w.advance(15_000)).toBe(108_000_000); // every source idle, but not yet for 10 s
    expect(w.advance(16_000)).toBe(110_000_000 + 10_000_000); // 10 s of silence after the last event
    expect(w.advance(46_000)).toBe(110_000_000 + 40_000_000);
    w.observe(1, 60_000_000, 47_000); // a late trade: the watermark never goes back
    expect(w.advance(47_000)).toBe(150_000_000);
  });
});
