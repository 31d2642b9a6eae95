/**
 * patches/kafkajs+2.2.4.patch (applied by `npm install` / `npm ci` through patch-package)
 * replaces kafkajs' per-send grouping of messages by partition, which copied a partition's whole
 * array for every message it added (O(n²) in a batch: 22 MB of garbage for one 5,000-message
 * send). These tests pin the behaviour kafkajs relies on and that the patch is in place.
 */
import { createRequire } from 'node:module';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';

type Grouping = (args: { topic: string; partitionMetadata: unknown[]; messages: { key: string; value: string }[]; partitioner: (a: { message: { key: string } }) => number }) => Record<string, { key: string; value: string }[]>;
const groupMessagesPerPartition = createRequire(import.meta.url)('kafkajs/src/producer/groupMessagesPerPartition') as Grouping;
const metadata = (n: number) => Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));

describe('kafkajs patch: groupMessagesPerPartition', () => {
  it('is the patched, linear implementation (postinstall ran)', () => {
    expect(groupMessagesPerPartition.toString()).toContain('current.push(message)');
  });

  it('groups every message under the partition its partitioner picks, in send order, calling the partitioner once per message in order', () => {
    const messages = Array.from({ length: 3_000 }, (_, i) => ({ key: `binance:SYM${i % 37}USDT`, value: String(i) }));
    const partitioner = Partitioners.DefaultPartitioner();
    const seen: string[] = [];
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: metadata(6),
      messages,
      partitioner: (args) => {
        seen.push((args.message as { value: string } & typeof args.message).value);
        return partitioner(args as Parameters<typeof partitioner>[0]);
      },
    });
    expect(seen).toEqual(messages.map((m) => m.value));
    const expected: Record<string, string[]> = {};
    for (const m of messages) (expected[partitioner({ topic: 't', partitionMetadata: metadata(6), message: m })] ??= []).push(m.value);
    expect(Object.fromEntries(Object.entries(grouped).map(([p, ms]) => [p, ms.map((m) => m.value)]))).toEqual(expected);
    expect(Object.keys(grouped).length).toBeGreaterThan(1);
  });

  it('returns no groups when the topic has no partition metadata', () => {
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: [{ key: 'k', value: 'v' }], partitioner: () => 0 })).toEqual({});
  });
});
