/**
 * Gap repair on real Kafka and the real Temporal dev server: an open gap on market.gaps.v1 starts
 * one `backfill` of its days (id derived from the gap), which repairs the day from the local
 * archive mirror; the same gap reported twice, and read again by a second consumer group, never
 * starts a second backfill; a gap the producer filled itself starts none; a message that does not
 * parse goes to the dead-letter topic with its reason and bytes, and is counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterSchema, type TradeGapEvent } from '../../common/events/index.ts';
import { createLogger } from '../../common/logger.ts';
import { LakeQueryEngine } from '../../lake/index.ts';
import { createTestTopic, testKafka } from '../../test/infra.ts';
import { readTopic } from '../../test/support/read-topic.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import type { BackfillResult } from '../backfill/types.ts';
import { gapWorkflowId, startGapRepairConsumer, type GapRepairConsumer } from './consumer.ts';

let fx: WorkflowsFixture;
const kafka = testKafka('gap-repair-test');
const consumers: GapRepairConsumer[] = [];

const DAY_US = Date.parse('2017-08-17T00:00:00Z') * 1000;
const gap = (over: Partial<TradeGapEvent> = {}): TradeGapEvent => ({
  v: 1,
  exchange: 'binance',
  symbol: 'BTCUSDT',
  stream: 'trade',
  firstMissingTradeId: 16_000,
  lastMissingTradeId: 16_099,
  afterTradeTimeUs: DAY_US + 3_600_000_000,
  beforeTradeTimeUs: DAY_US + 3_700_000_000,
  detectedAtUs: DAY_US + 3_800_000_000,
  acrossReconnect: true,
  status: 'open',
  ...over,
});

async function backfillIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of fx.client.workflow.list({ query: `WorkflowType = 'backfill'` })) ids.push(w.workflowId);
  return ids.sort();
}

beforeAll(async () => {
  fx = await workflowsFixture('gap-repair');
}, 120_000);
afterAll(async () => {
  for (const c of consumers) await c.stop();
  await fx?.cleanup();
});

describe('gap repair', () => {
  it('an open gap starts one backfill of its day (never two); a filled gap none; a bad message is dead-lettered', async () => {
    const topic = await createTestTopic(kafka, 'gaps', 1);
    const producer = kafka.producer();
    await producer.connect();
    const open = gap();
    const filled = gap({ firstMissingTradeId: 17_000, lastMissingTradeId: 17_009, status: 'filled', filledBy: 'rest' });
    await producer.send({
      topic,
      messages: [open, open, filled].map((g) => ({ key: g.symbol, value: JSON.stringify(g) })).concat([{ key: 'BTCUSDT', value: '{"v":1,"symbol":"BTCUSDT"' }]),
    });
    await producer.disconnect();

    const logger = createLogger('gap-repair-test', 'warn');
    const deadLetterTopic = await createTestTopic(kafka, 'gap-deadletter', 1);
    const first = await startGapRepairConsumer({ kafka, client: fx.client, topic, groupId: `gap-a-${topic}`, logger, deadLetterTopic });
    consumers.push(first);
    await waitFor(() => first.counts.started + first.counts.duplicate + first.counts.ignored + first.counts.invalid === 4, 'the first group to read the 4 messages', 60_000, 100);
    expect(first.counts).toEqual({ started: 1, duplicate: 1, ignored: 1, invalid: 1 });
    const [letter, ...more] = await readTopic(kafka, deadLetterTopic, 1, { settleMs: 1_000 });
    expect(more).toEqual([]);
    const parsed = deadLetterSchema.parse(JSON.parse(letter.value));
    expect(parsed).toMatchObject({ stage: 'gap-repair', sourceTopic: topic, partition: 0, offset: '3', truncated: false });
    expect(parsed.reason).toMatch(/^not a gap event: /);
    expect(Buffer.from(parsed.rawBase64, 'base64').toString('utf8')).toBe('{"v":1,"symbol":"BTCUSDT"');

    // A second group reads the same gaps again (as after a lost offset commit): nothing new starts.
    const second = await startGapRepairConsumer({ kafka, client: fx.client, topic, groupId: `gap-b-${topic}`, logger, deadLetterTopic });
    consumers.push(second);
    await waitFor(() => second.counts.started + second.counts.duplicate + second.counts.ignored + second.counts.invalid === 4, 'the second group to read the 4 messages', 60_000, 100);
    expect(second.counts).toEqual({ started: 0, duplicate: 2, ignored: 1, invalid: 1 });

    const id = gapWorkflowId(open);
    expect(id).toBe('gap-repair-binance-BTCUSDT-trade-16000-16099');
    const handle = fx.client.workflow.getHandle(id);
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe('Gap repair BTCUSDT trade ids 16000..16099');
    const result = (await handle.result()) as BackfillResult;
    expect(result.summary).toBe('Backfill BTCUSDT 2017-08-17..2017-08-17 auto, all');
    expect(result.failed).toEqual([]);
    expect(result.progress.partitions).toMatchObject({ total: 1, done: 1 });
    expect(await backfillIds()).toEqual([id]);

    // The day is repaired: every minute of the archive's 2017-08-17 klines in silver, once.
    const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
    try {
      const { rows } = await engine.query(`SELECT count(*) AS n, count(DISTINCT window_start) AS k, any_value(source) AS s FROM silver_candles_all_revisions WHERE "interval" = '1m' AND date = DATE '2017-08-17'`);
      expect(Number(rows[0].n)).toBeGreaterThan(1000);
      expect(Number(rows[0].k)).toBe(Number(rows[0].n));
      expect(rows[0].s).toBe('klines');
    } finally {
      engine.connection.closeSync();
    }
  }, 150_000);
});
