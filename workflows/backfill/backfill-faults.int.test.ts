/**
 * Must-show 7 of issue 13 on the real Temporal dev server: bad input (each field) fails at once,
 * non-retryable, naming the field, writing nothing; 404 → `unavailable`; HTTP 500 and a timeout
 * are retried to success; a checksum mismatch and a corrupt zip fail only their partition, with
 * the reason, while the others go on; `retryFailed` redoes only those; cancelling stops within
 * seconds and leaves only whole partitions.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeQueryEngine } from '../../lake/index.ts';
import { klinesZipForDay } from '../../test/support/binance/klines-for-day.ts';
import { workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import type { BackfillProgress, BackfillResult } from './types.ts';
import { progressQuery, retryFailedSignal } from './workflow.ts';

let fx: WorkflowsFixture;

const KLINES_0817 = '/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2017-08-17.zip';
const klinesPath = (day: string) => `/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-${day}.zip`;

function start(input: object) {
  return fx.client.workflow.start('backfill', { taskQueue: 'marketlake-backfill', workflowId: `faults-${randomUUID().slice(0, 8)}`, args: [input as never] });
}

async function run(input: object): Promise<BackfillResult> {
  return (await start(input)).result() as Promise<BackfillResult>;
}

async function lakeVersions(): Promise<string> {
  const out: string[] = [];
  for (const t of await fx.lake.listTables()) out.push(`${t}@${(await (await fx.lake.table(t)).refresh()).version}`);
  return out.join(',');
}

async function silverDayCounts(): Promise<Record<string, number>> {
  const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
  try {
    const { rows } = await engine.query(`SELECT CAST(date AS VARCHAR) AS d, count(*) AS n FROM silver_candles WHERE "interval" = '1m' GROUP BY 1`);
    return Object.fromEntries(rows.map((r) => [String(r.d), Number(r.n)]));
  } finally {
    engine.connection.closeSync();
  }
}

beforeAll(async () => {
  fx = await workflowsFixture('backfill-faults', { env: { BACKFILL_MAX_PARTITIONS: '100', BACKFILL_HTTP_TIMEOUT_MS: '4000' } });
}, 120_000);
afterAll(async () => fx?.cleanup());

describe('backfill faults', () => {
  it('bad input fails at once with a non-retryable error naming the field, and writes nothing', async () => {
    const good = { symbols: ['BTCUSDT'], from: '2017-08-17', to: '2017-08-17', source: 'klines', mode: 'all' };
    const cases: [object, string][] = [
      [{ ...good, symbols: [] }, 'symbols'],
      [{ ...good, symbols: ['btc-usd'] }, 'symbols'],
      [{ ...good, from: '2024-13-01' }, 'from'],
      [{ ...good, from: '2017-08-18' }, 'from'],
      [{ ...good, to: '2999-01-01' }, 'to'],
      [{ ...good, source: 'ftp' }, 'source'],
      [{ ...good, mode: 'some' }, 'mode'],
      [{ ...good, dryRun: 'yes' }, 'dryRun'],
      [{ ...good, maxConcurrency: 0 }, 'maxConcurrency'],
      [{ ...good, simbols: ['BTCUSDT'] }, 'simbols'],
      // Above BACKFILL_MAX_PARTITIONS (100 here): checked by the planning activity with the worker's config.
      [{ ...good, from: '2024-01-01', to: '2024-12-31' }, 'to'],
    ];
    const before = await lakeVersions();
    for (const [input, field] of cases) {
      const t0 = Date.now();
      const err = await run(input).then(() => undefined, (e: unknown) => e);
      expect(err, field).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause;
      expect(cause, field).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type, field).toBe('InvalidBackfillInput');
      expect((cause as ApplicationFailure).nonRetryable, field).toBe(true);
      expect((cause as ApplicationFailure).message, field).toContain(`${field}:`);
      expect(Date.now() - t0, field).toBeLessThan(10_000);
    }
    expect(await lakeVersions()).toBe(before);
  }, 180_000);

  it('404 marks partitions unavailable (not failed); HTTP 500 and a timeout are retried to success', async () => {
    const missing = await run({ symbols: ['BTCUSDT'], from: '2017-08-20', to: '2017-08-21', source: 'klines', mode: 'all' });
    expect(missing.failed).toEqual([]);
    expect(missing.unavailable).toEqual([{ symbol: 'BTCUSDT', day: '2017-08-20' }, { symbol: 'BTCUSDT', day: '2017-08-21' }]);
    expect(missing.progress.partitions).toMatchObject({ total: 2, unavailable: 2, done: 0, failed: 0 });

    fx.binance.failNext(KLINES_0817, [{ status: 500 }, { status: 503 }]);
    fx.binance.delayNext(KLINES_0817, 6000); // longer than BACKFILL_HTTP_TIMEOUT_MS
    const before = fx.binance.requests.filter((r) => r.path === KLINES_0817).length;
    const ok = await run({ symbols: ['BTCUSDT'], from: '2017-08-17', to: '2017-08-17', source: 'klines', mode: 'all' });
    expect(ok.failed).toEqual([]);
    expect(ok.progress.partitions).toMatchObject({ total: 1, done: 1 });
    // 500, 503, then the response held past the timeout, then success (the delayed request is logged when answered).
    expect(fx.binance.requests.filter((r) => r.path === KLINES_0817).length - before).toBeGreaterThanOrEqual(3);
    expect((await silverDayCounts())['2017-08-17']).toBeGreaterThan(0);
  }, 180_000);

  it('a checksum mismatch and a corrupt zip fail only their partitions, with the reason; retryFailed redoes only those', async () => {
    fx.binance.serveArchive(klinesPath('2017-08-18'), klinesZipForDay('2017-08-18'));
    fx.binance.serveArchive(klinesPath('2017-08-19'), klinesZipForDay('2017-08-19'));
    fx.binance.corruptChecksum(klinesPath('2017-08-18'));
    const good19 = klinesZipForDay('2017-08-19');
    const broken = Buffer.from(good19);
    broken.fill(0x41, 30, broken.length - 30); // the entry's bytes destroyed, the zip's frame kept
    fx.binance.serveArchive(klinesPath('2017-08-19'), broken);
    fx.binance.serveArchive(klinesPath('2017-08-22'), klinesZipForDay('2017-08-22'));

    // Days in the current month's layout: the items are daily files.
    const handle = await start({ symbols: ['BTCUSDT'], from: '2017-08-18', to: '2017-08-22', source: 'klines', mode: 'all', retryWaitMinutes: 0.5 });
    let progress: BackfillProgress;
    const deadline = Date.now() + 90_000;
    do {
      await new Promise((r) => setTimeout(r, 500));
      progress = await handle.query(progressQuery);
    } while (progress.phase !== 'waiting-for-retry' && Date.now() < deadline);
    expect(progress.phase).toBe('waiting-for-retry');
    // 08-18 checksum, 08-19 corrupt: failed; 08-20/21 not published: unavailable; 08-22 done.
    expect(progress.partitions).toMatchObject({ total: 5, done: 1, failed: 2, unavailable: 2 });
    expect((await silverDayCounts())['2017-08-22']).toBeGreaterThan(0);
    expect((await silverDayCounts())['2017-08-18']).toBeUndefined();

    // The mirror is fixed; retryFailed redoes only the two failed partitions (then the run waits 30 s for another retryFailed and ends).
    fx.binance.serveArchive(klinesPath('2017-08-19'), good19);
    const requestsBefore = fx.binance.requests.length;
    await handle.signal(retryFailedSignal);
    const result = (await handle.result()) as BackfillResult;
    const redone = fx.binance.requests.slice(requestsBefore).map((r) => r.path).filter((p) => p.includes('/daily/') && !p.endsWith('.CHECKSUM'));
    expect(new Set(redone)).toEqual(new Set([klinesPath('2017-08-18'), klinesPath('2017-08-19')]));
    // 08-18's checksum is still wrong (the mirror keeps serving a bad .CHECKSUM): it fails again, with its reason.
    expect(result.failed.map((f) => [f.day, f.errorType])).toEqual([['2017-08-18', 'ArchiveChecksumError']]);
    expect(result.failed[0].reason).toMatch(/checksum mismatch/);
    expect(result.progress.partitions).toMatchObject({ done: 2, failed: 1, unavailable: 2 });
    expect((await silverDayCounts())['2017-08-19']).toBeGreaterThan(0);
  }, 180_000);

  it('a corrupt zip fails its partition with CorruptArchiveError', async () => {
    const bad = Buffer.from('PK\u0003\u0004 this is not a zip file at all');
    fx.binance.serveArchive(klinesPath('2017-08-23'), bad);
    const result = await run({ symbols: ['BTCUSDT'], from: '2017-08-23', to: '2017-08-23', source: 'klines', mode: 'all' });
    expect(result.failed.map((f) => f.errorType)).toEqual(['CorruptArchiveError']);
    expect(result.failed[0].reason).toMatch(/corrupt archive/);
  }, 120_000);

  it('cancelling mid-run stops within seconds and leaves only whole partitions', async () => {
    const january = '/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip';
    fx.binance.delayNext(january, 3000, 100);
    const before = await lakeVersions();
    const handle = await start({ symbols: ['BTCUSDT'], from: '2024-01-01', to: '2024-01-31', source: 'klines', mode: 'all' });
    const deadline = Date.now() + 60_000;
    while ((await handle.query(progressQuery)).partitions.running === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await handle.cancel();
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    const stoppedMs = Date.now() - t0;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(stoppedMs).toBeLessThan(10_000);
    const after = await lakeVersions();
    // Nothing of January was committed, or whole days only.
    if (after !== before) for (const [day, n] of Object.entries(await silverDayCounts())) if (day.startsWith('2024-01')) expect(n).toBe(1440);
    fx.binance.delayNext(january, 0, 0);
  }, 120_000);
});
