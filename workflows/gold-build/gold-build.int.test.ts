/**
 * The goldBuild workflow on the real Temporal dev server with the real worker: the blocking
 * quality checks, the build, new alerts to Kafka once; the `gold-hourly` schedule runs it; a
 * blocking check that fails stops the build with gold unchanged.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import { LakeQueryEngine } from '../../lake/index.ts';
import { KLINES_2024_DIR } from '../../test/fixtures/paths.ts';
import { createTestTopic, testKafka } from '../../test/infra.ts';
import { extractZipCsv, loadKlinesIntoSilver } from '../../test/support/lake-loaders.ts';
import { removeTmpDirs, tmpLakeDir } from '../../test/support/lake/tmp.ts';
import { readTopic } from '../../test/support/read-topic.ts';
import { workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import { BACKFILL_TASK_QUEUE, SCHEDULES, TASK_QUEUE, ensureSchedules } from '../index.ts';
import { TOPICS } from '../../common/topics.ts';
import { createTopicsWithLeaders } from '../../stack/topics.ts';

const kafka = testKafka('gold-build-test');
let producer: Producer;
let fx: WorkflowsFixture;
let csv: string;
const FROM = Date.parse('2024-01-06T00:00:00Z');
const SPIKE = Date.parse('2024-01-07T12:00:00Z');

beforeAll(async () => {
  // The worker runs in this process: the quality gate checks all of the (2024) data, not only the last 48 hours.
  process.env.QUALITY_CONFIG = JSON.stringify({ checks: { candle_validity: { thresholds: { lookbackHours: null } } } });
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  fx = await workflowsFixture('gold', { kafkaProducer: async () => producer });
  csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
}, 120_000);

afterAll(async () => {
  await fx?.cleanup();
  await producer?.disconnect();
  removeTmpDirs();
});

async function goldVersions() {
  const out: Record<string, number> = {};
  for (const t of await fx.lake.listTables()) if (t.startsWith('gold/') && !t.startsWith('gold/quality') && t !== 'gold/transform_runs') out[t] = (await (await fx.lake.table(t)).refresh()).version;
  return out;
}

describe('goldBuild workflow', () => {
  it('checks, builds, publishes the new alerts once; the gold-hourly schedule runs it; a failing blocking check leaves gold unchanged', async () => {
    await loadKlinesIntoSilver(fx.lake, csv, {
      where: `open_time >= ${FROM} AND open_time < ${FROM + 2 * 86_400_000}`,
      // Silver as a backfill writes it: the rollups beside the minutes (rollup_matches_1m flags a missing one).
      rollUp: ['5m', '15m', '1h'],
      transform: `SELECT * REPLACE (CASE WHEN open_time = ${SPIKE} THEN CAST(CAST(close AS DECIMAL(18,8)) * 1.03 AS DECIMAL(18,8))::VARCHAR ELSE close END AS close,
        CASE WHEN open_time = ${SPIKE} THEN CAST(CAST(close AS DECIMAL(18,8)) * 1.03 AS DECIMAL(18,8))::VARCHAR ELSE high END AS high) FROM {{ klines }}`,
    });
    const topic = await createTestTopic(kafka, 'market.alerts.v1.gold', 1);
    const first = await fx.client.workflow.execute('goldBuild', { taskQueue: TASK_QUEUE, workflowId: `gold-${Date.now()}`, args: [{ alertsTopic: topic }] });
    expect(first.checks).toMatchObject({ passed: true });
    expect(first.build.ok).toBe(true);
    expect(first.build.models.find((m: { model: string }) => m.model === 'indicators')).toMatchObject({ status: 'success' });
    expect(first.alertsPublished).toBeGreaterThanOrEqual(1);

    const again = await fx.client.workflow.execute('goldBuild', { taskQueue: TASK_QUEUE, workflowId: `gold-again-${Date.now()}`, args: [{ alertsTopic: topic }] });
    expect(again.build.models.every((m: { status: string }) => m.status === 'skipped')).toBe(true);
    expect(again.alertsPublished).toBe(0);
    const messages = await readTopic(kafka, topic, first.alertsPublished, { settleMs: 1000 });
    expect(messages).toHaveLength(first.alertsPublished);
    expect(messages.filter((m) => m.key === 'price_spike:binance:BTCUSDT:1m:2024-01-07T12:00:00Z')).toHaveLength(1);

    // The schedule the worker ensures, triggered now.
    await ensureSchedules(fx.client, SCHEDULES.filter((s) => s.id === 'gold-hourly'));
    const schedule = fx.client.schedule.getHandle('gold-hourly');
    await schedule.trigger();
    const deadline = Date.now() + 120_000;
    let completed = false;
    while (!completed && Date.now() < deadline) {
      const d = await schedule.describe();
      const run = d.info.recentActions.at(-1)?.action;
      if (run) {
        const status = (await fx.client.workflow.getHandle(run.workflow.workflowId, run.workflow.firstExecutionRunId).describe()).status.name;
        completed = status === 'COMPLETED';
        expect(['RUNNING', 'COMPLETED']).toContain(status);
      }
      if (!completed) await new Promise((r) => setTimeout(r, 500));
    }
    expect(completed).toBe(true);
    await schedule.delete();

    // A backfill that writes a day starts an incremental gold build, which computes that day.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsWithLeaders(admin, [{ topic: TOPICS.alerts, numPartitions: 1, replicationFactor: 1 }]).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
    const bf = await fx.client.workflow.start('backfill', {
      taskQueue: BACKFILL_TASK_QUEUE,
      workflowId: `gold-bf-${Date.now()}`,
      args: [{ symbols: ['BTCUSDT'], from: '2024-01-08', to: '2024-01-08', source: 'klines', mode: 'missing' } as never],
    });
    await bf.result();
    const afterBackfill = await fx.client.workflow.getHandle(`gold-after-${bf.workflowId}-${bf.firstExecutionRunId}`).result();
    expect(afterBackfill.build.ok).toBe(true);
    expect(afterBackfill.build.models.find((m: { model: string }) => m.model === 'indicators')).toMatchObject({ status: 'success', partitions: '1 partition (2024-01-08)' });

    // A defect a blocking check catches (a candle whose high is below its low): the build stops, gold is unchanged.
    const before = await goldVersions();
    const engine = await LakeQueryEngine.open({ lake: fx.lake, readOnly: false });
    try {
      await (await fx.lake.table('silver/candles')).appendFromSql(
        engine.connection,
        `SELECT * REPLACE (1::BIGINT AS revision, low - 1 AS high) FROM silver_candles WHERE "date" = DATE '2024-01-07' AND "interval" = '1m' AND window_start = make_timestamptz(${(SPIKE + 3_600_000) * 1000}::BIGINT)`,
      );
    } finally {
      engine.close();
    }
    const blocked = fx.client.workflow.execute('goldBuild', { taskQueue: TASK_QUEUE, workflowId: `gold-blocked-${Date.now()}`, args: [{ alertsTopic: topic }] });
    await expect(blocked).rejects.toBeInstanceOf(WorkflowFailedError);
    await blocked.catch((err: WorkflowFailedError) => expect(String((err.cause as Error).message)).toMatch(/blocked: blocking data-quality checks failed \(candle_validity/));
    expect(await goldVersions()).toEqual(before);
  }, 300_000);
});
