import { describe, expect, it } from 'vitest';
import { tradeEventSchema, underlyingTradeCount } from '../../common/events/index.ts';
import { aggregateTrades, InMemoryAggTrades } from '../../test/support/binance/agg-trades.ts';
import { btcTrades20170817 } from '../../test/support/binance/ws-frames.ts';
import { fillGapFromAggTrades } from './ws-gap-filler.ts';
import type { DetectedGap } from './ws-gap-detector.ts';

const trades = btcTrades20170817();
const aggs = aggregateTrades(trades);
const timeOf = (id: number) => trades[id].time * 1000;

function tradeGap(first: number, last: number): DetectedGap {
  return { exchange: 'binance', symbol: 'BTCUSDT', stream: 'trade', firstMissingTradeId: first, lastMissingTradeId: last, afterTradeTimeUs: timeOf(first - 1), beforeTradeTimeUs: timeOf(last + 1) };
}

/** A gap whose edges fall between aggregates (so it can be filled exactly). */
function alignedGap(minSize: number): DetectedGap {
  const start = aggs.findIndex((a, i) => i > 10 && a.firstTradeId! > 100);
  const firstAgg = aggs[start];
  const lastAgg = aggs.find((a) => a.lastTradeId! >= firstAgg.firstTradeId! + minSize - 1)!;
  return tradeGap(firstAgg.firstTradeId!, lastAgg.lastTradeId!);
}

describe('fillGapFromAggTrades', () => {
  it('fills a trade-stream gap from the aggregates of its time span: single trades as trades, multi-trade aggregates as aggTrades', async () => {
    const gap = alignedGap(40);
    const rest = new InMemoryAggTrades(aggs);
    const result = await fillGapFromAggTrades(gap, rest);
    if (!('filled' in result)) throw new Error(result.unfilled);
    const covered = result.filled.reduce((n, t) => n + underlyingTradeCount(t), 0);
    expect(covered).toBe(gap.lastMissingTradeId - gap.firstMissingTradeId + 1);
    for (const t of result.filled) {
      expect(tradeEventSchema.safeParse(t).success).toBe(true);
      expect(t.source).toBe('rest');
      if (t.kind === 'trade') {
        const original = trades[t.tradeId];
        expect([t.price, t.qty, t.isBuyerMaker]).toEqual([original.price, original.qty, original.isBuyerMaker]);
      }
    }
    expect(result.filled.some((t) => t.kind === 'trade')).toBe(true);
    expect(rest.queries[0]).toMatchObject({ symbol: 'BTCUSDT', startTimeMs: Math.floor(gap.afterTradeTimeUs / 1000), endTimeMs: Math.ceil(gap.beforeTradeTimeUs / 1000) });
  });

  it('fills an aggTrade-stream gap by aggregate id, paging past 1000', async () => {
    const firstAgg = aggs[5];
    const lastAgg = aggs[5 + 1200];
    const gap: DetectedGap = {
      ...tradeGap(firstAgg.firstTradeId!, lastAgg.lastTradeId!),
      stream: 'aggTrade',
      firstMissingAggId: firstAgg.tradeId,
      lastMissingAggId: lastAgg.tradeId,
    };
    const rest = new InMemoryAggTrades(aggs);
    const result = await fillGapFromAggTrades(gap, rest);
    if (!('filled' in result)) throw new Error(result.unfilled);
    expect(result.filled.map((t) => t.tradeId)).toEqual(aggs.slice(5, 5 + 1201).map((a) => a.tradeId));
    expect(result.filled.every((t) => t.kind === 'aggTrade')).toBe(true);
    expect(rest.queries.map((q) => q.fromId)).toEqual([firstAgg.tradeId, firstAgg.tradeId + 1000]);
  });

  it('leaves the gap open when an aggregate straddles its edge (it cannot be split)', async () => {
    const multi = aggs.find((a) => a.lastTradeId! > a.firstTradeId! && a.firstTradeId! > 10)!;
    const result = await fillGapFromAggTrades(tradeGap(multi.firstTradeId! + 1, multi.lastTradeId! + 3), new InMemoryAggTrades(aggs));
    expect(result).toEqual({ unfilled: expect.stringMatching(/straddles the gap's edge/) });
  });

  it('leaves the gap open when REST does not have every missing trade', async () => {
    const gap = alignedGap(10);
    const inside = aggs.filter((x) => x.firstTradeId! > gap.firstMissingTradeId && x.lastTradeId! < gap.lastMissingTradeId);
    expect(inside.length).toBeGreaterThan(0);
    const holey = aggs.filter((x) => x !== inside[Math.floor(inside.length / 2)]);
    const result = await fillGapFromAggTrades(gap, new InMemoryAggTrades(holey));
    expect(result).toEqual({ unfilled: expect.stringMatching(/starts at trade \d+, expected \d+/) });
  });

  it("handles gaps longer than Binance's one-hour time window: first page by time, then by aggregate id", async () => {
    // Trades 300..320 of 2017-08-17 span more than an hour (the first day was quiet).
    const startAgg = aggs.find((a) => a.firstTradeId! >= 300)!;
    const endAgg = aggs.find((a) => a.lastTradeId! >= startAgg.firstTradeId! + 20)!;
    const gap = tradeGap(startAgg.firstTradeId!, endAgg.lastTradeId!);
    expect(gap.beforeTradeTimeUs - gap.afterTradeTimeUs).toBeGreaterThan(3_600_000_000);
    const rest = new InMemoryAggTrades(aggs);
    const result = await fillGapFromAggTrades(gap, rest);
    if (!('filled' in result)) throw new Error(result.unfilled);
    expect(result.filled.reduce((n, t) => n + underlyingTradeCount(t), 0)).toBe(gap.lastMissingTradeId - gap.firstMissingTradeId + 1);
    expect(rest.queries[0].endTimeMs! - rest.queries[0].startTimeMs!).toBeLessThan(3_600_000);
    expect(rest.queries.slice(1).every((q) => q.fromId !== undefined && q.startTimeMs === undefined)).toBe(true);
  });
});
