/**
 * The gold build's gate judges the range the build rewrites, end to end through Temporal, on real
 * klines: six days of January 2024 in silver and gold built from them, then a candle of January 2
 * corrupted (high below low, a blocking check's defect) long before the newest data, so outside
 * every look-back. A build of January 2 (`from`/`to`, as after a backfill of that range) is
 * blocked, and so is an incremental build (no from/to: it would rewrite January 2, changed since
 * gold's last commit); gold stays unchanged and the corrupted candle is the gate's failing row; a
 * range without the defect passes; the corrected candle lets the January 2 build through.
 */
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromScaled, toScaled } from '../../common/decimal.ts';
import { LakeQueryEngine, type LakeRow } from '../../lake/index.ts';
import { klinesLake } from '../../test/support/transforms/quality-lakes.ts';
import { workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import { ALL_CHECKS, resolveQualityConfig, runBlockingChecks } from '../../transforms/index.ts';
import { TASK_QUEUE } from '../index.ts';
import { GOLD_INPUT_TABLES } from './workflow.ts';

let fx: WorkflowsFixture;
let minutes: LakeRow[];

beforeAll(async () => {
  fx = await workflowsFixture('gold-gate-range');
  minutes = (await klinesLake({ days: 6, dir: fx.lakeDir })).minutes;
}, 180_000);

afterAll(async () => {
  await fx?.cleanup();
});

async function failure(run: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await run.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as ApplicationFailure;
}

describe('the gold gate judges the range the build rewrites', () => {
  it('a defect in an older range blocks the build of that range and the incremental build (not seen by the look-back); fixed, the range goes through', async () => {
    const build = (range: { from?: string; to?: string }, id: string) =>
      fx.client.workflow.execute('goldBuild', { taskQueue: TASK_QUEUE, workflowId: `${id}-${Date.now()}`, args: [{ ...range, select: ['indicators'], publishAlerts: false }] });
    // Gold built once over the clean days (a first build is a full one).
    expect((await build({}, 'range-first')).build.ok).toBe(true);
    const indicators = await fx.lake.table('gold/indicators');
    const builtVersion = (await indicators.refresh()).version;

    const silver = await fx.lake.table('silver/candles');
    const at = Date.UTC(2024, 0, 2, 10, 0) * 1000;
    const good = minutes.find((m) => m.window_start === at)!;
    await silver.append([{ ...good, revision: 1, high: fromScaled(toScaled(String(good.low), 8) - 1n, 8) }]);

    // The look-back before the newest data (January 5 and 6) does not reach January 2, nor does a range without it.
    const config = resolveQualityConfig(ALL_CHECKS, {});
    expect(await runBlockingChecks({ lake: fx.lake, config, inputs: GOLD_INPUT_TABLES, record: false })).toMatchObject({ passed: true });
    expect(await runBlockingChecks({ lake: fx.lake, config, inputs: GOLD_INPUT_TABLES, range: { from: '2024-01-03', to: '2024-01-06' }, record: false })).toMatchObject({ passed: true });

    const cause = await failure(build({ from: '2024-01-02', to: '2024-01-02' }, 'range-blocked'));
    expect(cause.type).toBe('GoldBuildBlocked');
    expect(cause.details?.[0]).toMatchObject({ passed: false, blockedBy: ['candle_validity'] });
    expect((await indicators.refresh()).version).toBe(builtVersion);
    const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
    try {
      const runId = (cause.details?.[0] as { runId: string }).runId;
      const failures = await engine.query(`SELECT check_name, json_extract_string("row", '$.window_start') AS ws FROM gold_quality_failures WHERE run_id = '${runId}'`);
      expect(failures.rows).toEqual([{ check_name: 'candle_validity', ws: '2024-01-02 10:00:00+00' }]);
    } finally {
      engine.close();
    }

    // An incremental build (no from/to) would rewrite January 2 too: its gate judges the dates silver changed since gold's last commit.
    const incremental = await failure(build({}, 'incremental-blocked'));
    expect(incremental.details?.[0]).toMatchObject({ passed: false, blockedBy: ['candle_validity'] });
    expect((await indicators.refresh()).version).toBe(builtVersion);

    // The fix: the correct candle as a newer revision; the same range now builds.
    await silver.append([{ ...good, revision: 2 }]);
    const built = await build({ from: '2024-01-02', to: '2024-01-02' }, 'range-fixed');
    expect(built.checks).toMatchObject({ passed: true });
    expect(built.build.models).toEqual([expect.objectContaining({ model: 'indicators', status: 'success', partitions: '1 partition (2024-01-02)' })]);
    expect((await indicators.refresh()).version).toBe(builtVersion + 1);
  }, 300_000);
});
