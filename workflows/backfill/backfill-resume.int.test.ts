/**
 * A backfill item resumes from its last heartbeat after its worker dies (`kill -9` of
 * `marketlake worker`, real Temporal dev server): the item (August 2017 of BTCUSDT: no monthly
 * file, so one commit per daily file) commits two days, the worker is killed while the third
 * day's file is downloading, and the retry on a new worker skips the two committed days (its log
 * and the run's progress say so) and writes only the third. Rows identical either way.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeQueryEngine } from '../../lake/index.ts';
import { klinesZipForDay } from '../../test/support/binance/klines-for-day.ts';
import { spawnWorker, workflowsFixture, type ChildWorker, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import type { ItemCheckpoint } from './runner.ts';
import type { BackfillResult } from './types.ts';

let fx: WorkflowsFixture;
let worker: ChildWorker | undefined;

const klinesPath = (day: string) => `/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-${day}.zip`;

beforeAll(async () => {
  fx = await workflowsFixture('backfill-resume', { workers: false, env: { WORKER_ENSURE_SCHEDULES: 'false' } });
  fx.binance.serveArchive(klinesPath('2017-08-18'), klinesZipForDay('2017-08-18'));
  fx.binance.serveArchive(klinesPath('2017-08-19'), klinesZipForDay('2017-08-19'));
}, 120_000);
afterAll(async () => {
  await worker?.stop('SIGKILL');
  await fx?.cleanup();
});

describe('backfill resume', () => {
  it('kill -9 mid-item: the retry resumes from the heartbeat, skipping the days already committed', async () => {
    fx.binance.delayNext(klinesPath('2017-08-19'), 60_000); // the third day's download hangs until the worker is killed
    worker = await spawnWorker(fx);
    const handle = await fx.client.workflow.start('backfill', {
      taskQueue: 'marketlake-backfill',
      workflowId: `resume-${randomUUID().slice(0, 8)}`,
      args: [{ symbols: ['BTCUSDT'], from: '2017-08-17', to: '2017-08-19', source: 'klines', mode: 'all' } as never],
    });
    // Wait until the server holds a heartbeat that lists the two committed days, then kill -9.
    let details: ItemCheckpoint | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const payload = pending.find((a) => a.activityType?.name === 'backfillItem')?.heartbeatDetails?.payloads?.[0]?.data;
      details = payload ? (JSON.parse(Buffer.from(payload).toString('utf8')) as ItemCheckpoint) : undefined;
      if ((details?.committed?.length ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(details?.committed?.map((d) => d.day)).toEqual(['2017-08-17', '2017-08-18']);
    await worker.stop('SIGKILL');
    worker = await spawnWorker(fx, { LOG_LEVEL: 'info' });
    const result = (await handle.result()) as BackfillResult;

    expect(result.failed).toEqual([]);
    expect(result.progress.partitions).toMatchObject({ total: 3, done: 3 });
    // The retry did not redo the two committed days...
    expect(result.progress.resumedPartitions).toBe(2);
    const resumed = worker
      .output()
      .split('\n')
      .filter((l) => l.includes('resuming a work item'))
      .map((l) => JSON.parse(l) as { skippedDays: string[]; remainingDays: number });
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toMatchObject({ skippedDays: ['2017-08-17', '2017-08-18'], remainingDays: 1 });
    // ...and made exactly one commit (the third day) after the kill.
    const commits = (await (await fx.lake.table('silver/candles')).history()).filter((h) => h.operation !== 'CREATE TABLE');
    const backfillCommits = commits.filter((h) => JSON.stringify(h.operationParameters ?? {}).includes('backfill'));
    expect(backfillCommits).toHaveLength(3);
    // Every candle of the three days once.
    const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
    try {
      const rows = (await engine.query(`SELECT CAST(date AS VARCHAR) AS d, count(*) AS n, count(DISTINCT ("interval", window_start)) AS k FROM silver_candles_all_revisions GROUP BY 1 ORDER BY 1`)).rows;
      expect(rows.map((r) => [r.d, Number(r.n), Number(r.k)])).toEqual(['2017-08-17', '2017-08-18', '2017-08-19'].map((d) => [d, Number(rows[0].n), Number(rows[0].n)]));
    } finally {
      engine.connection.closeSync();
    }
  }, 150_000);
});
