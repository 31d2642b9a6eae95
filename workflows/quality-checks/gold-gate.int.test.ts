/**
 * The blocking checks in front of the gold build, end to end through Temporal: a candle whose high
 * is below its low (a blocking check's defect) stops goldBuild before gold changes, with no alert
 * published and the blocking check named; the corrected candle (a new revision) lets the next
 * build through.
 */
import { WorkflowFailedError, ApplicationFailure } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromScaled, toScaled } from '../../common/decimal.ts';
import { LakeQueryEngine, type LakeRow } from '../../lake/index.ts';
import { createTestTopic, testKafka } from '../../test/infra.ts';
import { klinesLake } from '../../test/support/transforms/quality-lakes.ts';
import { workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import { TASK_QUEUE } from '../index.ts';

const kafka = testKafka('quality-gold-gate');
let producer: Producer;
let fx: WorkflowsFixture;
let minutes: LakeRow[];

beforeAll(async () => {
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  fx = await workflowsFixture('gold-gate', { kafkaProducer: async () => producer });
  minutes = (await klinesLake({ days: 3, dir: fx.lakeDir })).minutes;
}, 180_000);

afterAll(async () => {
  await fx?.cleanup();
  await producer?.disconnect();
});

const goldTables = async () => (await fx.lake.listTables()).filter((t) => t.startsWith('gold/') && !t.startsWith('gold/quality_'));

describe('blocking checks gate goldBuild', () => {
  it('a failing blocking check stops the build (gold unchanged, no alert, the check named); fixing the data lets it through', async () => {
    const topic = await createTestTopic(kafka, 'market.alerts.v1.gate', 1);
    const silver = await fx.lake.table('silver/candles');
    const at = Date.UTC(2024, 0, 3, 10, 0) * 1000;
    const good = minutes.find((m) => m.window_start === at)!;
    await silver.append([{ ...good, revision: 1, high: fromScaled(toScaled(String(good.low), 8) - 1n, 8) }]);

    const blocked = fx.client.workflow.execute('goldBuild', { taskQueue: TASK_QUEUE, workflowId: `gate-blocked-${Date.now()}`, args: [{ alertsTopic: topic }] });
    const err = await blocked.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('GoldBuildBlocked');
    expect(cause.message).toMatch(/blocking data-quality checks failed \(candle_validity\)/);
    expect(cause.details?.[0]).toMatchObject({ passed: false, blockedBy: ['candle_validity'] });
    expect(await goldTables()).toEqual([]);
    const admin = kafka.admin();
    await admin.connect();
    expect((await admin.fetchTopicOffsets(topic)).map((p) => p.high)).toEqual(['0']);
    await admin.disconnect();
    // The gate's run is recorded like any: the failing candle is in gold/quality_failures.
    const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
    try {
      const runId = (cause.details?.[0] as { runId: string }).runId;
      const failures = await engine.query(`SELECT json_extract_string("row", '$.window_start') AS ws, json_extract_string("row", '$.revision') AS revision FROM gold_quality_failures WHERE run_id = '${runId}'`);
      expect(failures.rows).toEqual([{ ws: '2024-01-03 10:00:00+00', revision: '1' }]);
    } finally {
      engine.close();
    }

    // The fix: the correct candle as a newer revision.
    await silver.append([{ ...good, revision: 2 }]);
    const built = await fx.client.workflow.execute('goldBuild', { taskQueue: TASK_QUEUE, workflowId: `gate-fixed-${Date.now()}`, args: [{ alertsTopic: topic }] });
    expect(built.checks).toMatchObject({ passed: true });
    expect(built.build.ok).toBe(true);
    expect(await goldTables()).toContain('gold/indicators');
  }, 300_000);
});
