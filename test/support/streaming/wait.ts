/** Waiting in streaming tests: for a value to appear, and for bronze to cover a topic. */
import type { Kafka } from 'kafkajs';
import { Lake } from '../../../lake/index.ts';

/** Polls `fn` every 250 ms until it returns a value (errors propagate at once). */
export async function waitForValue<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Resolves once the offsets bronze/trades records for `group` (its Delta txn per partition) reach
 * the topic's current end offsets: everything published so far is committed to the lake.
 */
export async function waitForBronzeToCover(kafka: Kafka, lake: Lake | string, group: string, topic: string, timeoutMs = 120_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const table = await (typeof lake === 'string' ? new Lake(lake) : lake).table('bronze/trades');
  await waitForValue(
    `bronze to cover ${topic} (group ${group})`,
    async () => {
      const snap = await table.refresh();
      return ends.every((p) => (snap.txnVersion(`stream:${group}:${topic}:${p.partition}`) ?? 0) === Number(p.high)) ? true : undefined;
    },
    timeoutMs,
  );
}
