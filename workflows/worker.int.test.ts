/**
 * `marketlake worker` as users run it (a child process, `node bin/marketlake.js worker`), on the
 * real Temporal dev server. Must-show 9 (schedules exist after the start, once each after a
 * restart; maintenance runs while a reader queries, and the reader stays consistent) and 4
 * (`kill -9` of the worker mid-backfill; after a restart the workflow completes with identical rows).
 */
import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeQueryEngine } from '../lake/index.ts';
import { spawnWorker, workflowsFixture, type ChildWorker, type WorkflowsFixture } from '../test/support/workflows-fixture.ts';
import type { BackfillResult } from './backfill/types.ts';
import type { MaintenanceResult } from './maintenance/workflow.ts';
import { SCHEDULES } from './schedules.ts';

let fx: WorkflowsFixture;
let worker: ChildWorker | undefined;

async function scheduleIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of fx.client.schedule.list()) ids.push(s.scheduleId);
  return ids.sort();
}

async function silverRows(): Promise<Record<string, unknown>[]> {
  const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
  try {
    return (await engine.query(`SELECT "interval", epoch_ms(window_start) AS t, open::VARCHAR AS o, high::VARCHAR AS h, low::VARCHAR AS l, close::VARCHAR AS c,
      volume::VARCHAR AS v, quote_volume::VARCHAR AS qv, trade_count AS n FROM silver_candles_all_revisions ORDER BY "interval", window_start`)).rows;
  } finally {
    engine.connection.closeSync();
  }
}

beforeAll(async () => {
  fx = await workflowsFixture('worker-proc', { workers: false });
}, 120_000);
afterAll(async () => {
  await worker?.stop('SIGKILL');
  await fx?.cleanup();
});

describe('marketlake worker (child process)', () => {
  it('ensures the schedules at start with explicit policies, once each after a restart; serves /health and /metrics with the SDK\'s metrics', async () => {
    worker = await spawnWorker(fx);
    expect(await scheduleIds()).toEqual(SCHEDULES.map((s) => s.id).sort());
    const daily = await fx.client.schedule.getHandle('maintenance-daily').describe();
    expect(daily.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(daily.policies.catchupWindow).toBe(6 * 3600 * 1000);
    expect(daily.policies.pauseOnFailure).toBe(false);
    expect(daily.action).toMatchObject({ type: 'startWorkflow', workflowType: 'maintenance', taskQueue: 'marketlake' });

    let metrics = '';
    for (let i = 0; i < 40 && !/^temporal_/m.test(metrics); i++) {
      metrics = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(metrics).toMatch(/^temporal_\w+/m); // the SDK's own (worker slots, polls, ...)
    expect(metrics).toMatch(/^marketlake_process_cpu_user_seconds_total/m); // ours

    await worker.stop('SIGTERM');
    worker = await spawnWorker(fx);
    expect(await scheduleIds()).toEqual(SCHEDULES.map((s) => s.id).sort());
  }, 120_000);

  it('maintenance-daily (triggered) compacts while a reader queries; every read sees the same rows; the result says what it did per table', async () => {
    // Many small files: 12 appends of 2 rows into bronze/trades (one partition).
    const trades = await fx.lake.table('bronze/trades');
    for (let i = 0; i < 12; i++) {
      await trades.append(
        [0, 1].map((j) => ({ exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', trade_id: i * 2 + j, price: '42000.10000000', qty: '0.00100000', quote_qty: '42.0001', is_buyer_maker: j === 0, trade_time: 1_704_067_200_000_000 + i * 1000, received_at: 1_704_067_200_000_000, source: 'archive' })),
      );
    }
    const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
    const read = async () => (await engine.query(`SELECT count(*) AS n, sum(trade_id) AS s, sum(quote_qty)::VARCHAR AS q FROM bronze_trades`)).rows[0];
    const expected = await read();
    let stop = false;
    const reads: unknown[] = [];
    const reader = (async () => {
      while (!stop) {
        await engine.refresh();
        reads.push(await read());
      }
    })();
    const filesBefore = (await trades.refresh()).addFiles().length;
    await fx.client.schedule.getHandle('maintenance-daily').trigger();
    let result: MaintenanceResult | undefined;
    for (let i = 0; i < 120 && !result; i++) {
      for await (const w of fx.client.workflow.list({ query: `WorkflowType = 'maintenance'` })) {
        if (w.status.name === 'COMPLETED') result = (await fx.client.workflow.getHandle(w.workflowId, w.runId).result()) as MaintenanceResult;
      }
      if (!result) await new Promise((r) => setTimeout(r, 500));
    }
    stop = true;
    await reader;
    engine.connection.closeSync();
    expect(result).toBeDefined();
    const bronze = result!.tables.find((t) => t.table === 'bronze/trades')!;
    expect(bronze.compaction.filesRemoved).toBe(filesBefore);
    expect(bronze.compaction.filesAdded).toBe(1);
    expect(bronze.checkpoint).toBeGreaterThan(0);
    expect(bronze.vacuum).toMatchObject({ retentionHours: 168 });
    expect((await trades.refresh()).addFiles()).toHaveLength(1);
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(r).toEqual(expected);
  }, 120_000);

  it('kill -9 of the worker mid-backfill: after a restart the workflow completes, resuming the item, with identical rows', async () => {
    const january = '/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip';
    fx.binance.delayNext(january, 4000);
    const handle = await fx.client.workflow.start('backfill', {
      taskQueue: 'marketlake-backfill',
      workflowId: `kill9-${randomUUID().slice(0, 8)}`,
      args: [{ symbols: ['BTCUSDT'], from: '2024-01-01', to: '2024-01-31', source: 'klines', mode: 'all' } as never],
    });
    // Wait until the activity is running (its download is being held by the mirror), then kill -9.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const d = await handle.describe();
      if ((d.raw.pendingActivities ?? []).some((a) => String(a.activityType?.name) === 'backfillItem' && a.state === 2 /* STARTED */)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await worker!.stop('SIGKILL');
    worker = await spawnWorker(fx);
    const result = (await handle.result()) as BackfillResult;
    expect(result.failed).toEqual([]);
    expect(result.progress.partitions).toMatchObject({ total: 31, done: 31 });
    // The item ran again (attempt 2) after the heartbeat timeout told the server the worker was gone.
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(Math.max(...attempts.map(Number))).toBeGreaterThanOrEqual(2);
    const rows = await silverRows();
    expect(rows).toHaveLength(31 * 1848); // every candle once: no half-written or doubled day
    expect(new Set(rows.map((r) => `${r.interval}:${r.t}`)).size).toBe(rows.length);
  }, 150_000);
});
