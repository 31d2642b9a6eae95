/** The cached partitioner picks exactly kafkajs' DefaultPartitioner's partition, also after the partition count changes. */
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CachedDefaultPartitioner } from './cached-partitioner.ts';

const metadata = (n: number) => Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));

describe('CachedDefaultPartitioner', () => {
  it('agrees with DefaultPartitioner for every key, twice (cached), and for a new partition count', () => {
    const cached = CachedDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const keys = Array.from({ length: 500 }, (_, i) => `binance:SYM${i}USDT`);
    const spread = new Set<number>();
    for (const n of [6, 6, 12, 1, 6]) {
      const partitionMetadata = metadata(n);
      for (const key of keys) {
        const args = { topic: 'market.trades.v1', partitionMetadata, message: { key, value: 'x' } };
        const p = cached(args);
        expect(p).toBe(reference(args));
        if (n === 12) spread.add(p);
      }
    }
    expect(spread.size).toBe(12);
    // Buffer keys hash like the same string.
    expect(cached({ topic: 't', partitionMetadata: metadata(6), message: { key: Buffer.from('sim:BTCUSDT'), value: 'x' } })).toBe(
      reference({ topic: 't', partitionMetadata: metadata(6), message: { key: 'sim:BTCUSDT', value: 'x' } }),
    );
  });
});
