/**
 * The qualityChecks workflow through the real Temporal dev server and a real worker: a run over a
 * lake with a planted duplicate trade reports it (and records it in gold), and the quality-15m
 * schedule exists once however often the worker ensures it, and triggering it runs the checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeQueryEngine, tradeEventToRow } from '../../lake/index.ts';
import { oracleLake, oracleTrades } from '../../test/support/transforms/quality-lakes.ts';
import { workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import { SCHEDULES, TASK_QUEUE, ensureSchedules } from '../index.ts';

let f: WorkflowsFixture;
beforeAll(async () => {
  f = await workflowsFixture('quality');
  await oracleLake({ dir: f.lakeDir });
  await (await f.lake.table('bronze/trades')).append([tradeEventToRow(oracleTrades()[42])]);
});
afterAll(async () => f?.cleanup());

async function resultsOf(runId: string): Promise<Record<string, unknown>[]> {
  const engine = await LakeQueryEngine.open({ lake: f.lakeDir });
  try {
    return (await engine.query(`SELECT check_name, status, failing_rows FROM gold_quality_results WHERE run_id = '${runId}' ORDER BY check_name`)).rows;
  } finally {
    engine.close();
  }
}

describe('qualityChecks workflow', () => {
  it('runs the checks, names the failing ones in its result and records them in gold', async () => {
    const result = await f.client.workflow.execute('qualityChecks', {
      taskQueue: TASK_QUEUE,
      workflowId: `quality-test-${Date.now()}`,
      args: [{ now: '2017-08-18T00:01:00Z', config: { checks: { silver_matches_bronze: { thresholds: { lookbackHours: 24 } } } } }],
    });
    expect(result).toMatchObject({ ok: false, failed: ['trade_uniqueness'] });
    expect(result.results.find((r: { check: string }) => r.check === 'silver_matches_bronze')).toMatchObject({ status: 'pass' });
    const rows = await resultsOf(result.runId);
    expect(rows).toHaveLength(13);
    expect(rows.find((r) => r.check_name === 'trade_uniqueness')).toEqual({ check_name: 'trade_uniqueness', status: 'fail', failing_rows: '1' });
  });

  it('quality-15m exists once after ensuring twice, and triggering it runs the checks', async () => {
    await ensureSchedules(f.client, SCHEDULES);
    const again = await ensureSchedules(f.client, SCHEDULES);
    expect(again.find((s) => s.id === 'quality-15m')).toEqual({ id: 'quality-15m', action: 'updated' });
    const ids: string[] = [];
    for await (const s of f.client.schedule.list()) ids.push(s.scheduleId);
    expect(ids.filter((id) => id === 'quality-15m')).toHaveLength(1);

    const handle = f.client.schedule.getHandle('quality-15m');
    const before = await handle.describe();
    expect(before.action).toMatchObject({ type: 'startWorkflow', workflowType: 'qualityChecks', taskQueue: TASK_QUEUE });
    expect(before.spec.intervals?.map((i) => Number(i.every))).toEqual([15 * 60_000]);
    await handle.trigger();
    let started: { workflowId: string; firstExecutionRunId: string } | undefined;
    for (let i = 0; i < 100 && !started; i++) {
      const d = await handle.describe();
      started = d.info.recentActions.map((a) => a.action.workflow).find((w) => w.workflowId.startsWith('quality-15m'));
      if (!started) await new Promise((r) => setTimeout(r, 200));
    }
    expect(started).toBeDefined();
    const summary = await f.client.workflow.getHandle(started!.workflowId, started!.firstExecutionRunId).result();
    // The scheduled run judges the lake as of the clock (the 2017 day is outside every look-back): all 13 checks ran and were recorded.
    expect(summary.results).toHaveLength(13);
    expect(await resultsOf(summary.runId)).toHaveLength(13);
  });
});
