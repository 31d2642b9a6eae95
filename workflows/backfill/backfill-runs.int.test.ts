/**
 * The backfill workflow over several runs and what the Temporal UI shows of it, on the real
 * Temporal dev server: a plan longer than BACKFILL_ITEMS_PER_RUN (1 here) continues as new and
 * still completes with the archive's rows; a run started as the UI starts it (no static summary)
 * shows its symbols, range, source and mode as its current details, and each activity its item;
 * `retryFailed` still redoes a failed item of an earlier run; a symbol Binance does not have
 * fails the run at once with UnknownSymbolError naming it.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalDecimal, parseKlinesCsv, zipText } from '../../test/support/archive-oracle.ts';
import { KLINES_2024_DIR } from '../../test/support/binance/binance-local-server.ts';
import { workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import { zipSingleFile } from '../../test/support/zip-writer.ts';
import type { BackfillProgress, BackfillResult } from './types.ts';

let fx: WorkflowsFixture;

/** Symbols the mirror's REST API does not list, but whose January 2024 archive it has (delisted, archived). */
const ARCHIVED_ONLY = ['AAAUSDT', 'BBBUSDT'];
const JANUARY_ZIP = path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip');

/** Versions of the tables a backfill writes (the gold build the first test's backfill started may still create gold tables). */
async function backfillTableVersions(): Promise<string> {
  const out: string[] = [];
  for (const t of (await fx.lake.listTables()).filter((n) => n.startsWith('silver/') || n.startsWith('bronze/'))) out.push(`${t}@${(await (await fx.lake.table(t)).refresh()).version}`);
  return out.join(',');
}

/** January 2024's monthly klines file cut to its first two days (the real rows; a month's staging per item would make this test slow). */
let januaryHead: string;

beforeAll(async () => {
  fx = await workflowsFixture('backfill-runs', { env: { BACKFILL_ITEMS_PER_RUN: '1' } });
  januaryHead = `${(await zipText(JANUARY_ZIP)).trim().split('\n').slice(0, 2 * 1440).join('\n')}\n`;
  for (const s of ['BTCUSDT', ...ARCHIVED_ONLY]) fx.binance.serveArchive(`/data/spot/monthly/klines/${s}/1m/${s}-1m-2024-01.zip`, zipSingleFile(`${s}-1m-2024-01.csv`, Buffer.from(januaryHead)));
}, 120_000);
afterAll(async () => fx?.cleanup());

describe('backfill runs', () => {
  it('a plan longer than BACKFILL_ITEMS_PER_RUN continues as new and completes with the archive\'s rows; the UI sees what each run and activity does', async () => {
    const symbols = ['BTCUSDT', ...ARCHIVED_ONLY];
    const workflowId = `runs-${randomUUID().slice(0, 8)}`;
    // As the UI starts it: the one JSON object, no static summary.
    const handle = await fx.client.workflow.start('backfill', {
      taskQueue: 'marketlake-backfill',
      workflowId,
      args: [{ symbols, from: '2024-01-01', to: '2024-01-02', source: 'klines', mode: 'all', maxConcurrency: 1 } as never],
    });
    const details = (await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails;
    expect(details).toContain('Backfill BTCUSDT,AAAUSDT,BBBUSDT 2024-01-01..2024-01-02 klines, all');
    for (const s of symbols) expect(details).toContain(s);
    expect(details).toMatch(/range: 2024-01-01 \.\. 2024-01-02/);
    expect(details).toMatch(/source: klines/);
    expect(details).toMatch(/mode: all/);

    const result = (await fx.client.workflow.getHandle(workflowId).result()) as BackfillResult;
    // 3 items (one monthly file per symbol), 1 per run: runs 1, 2 and 3.
    expect(result.progress.run).toBe(3);
    expect(result.failed).toEqual([]);
    expect(result.progress.partitions).toMatchObject({ total: 6, done: 6, failed: 0 });
    const first = await fx.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    // Each activity is labelled in the event history with its item (the UI's timeline shows it).
    const history = await fx.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory();
    const summaries = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'backfillItem')
      .map((e) => JSON.parse(Buffer.from(e.userMetadata!.summary!.data!).toString('utf8')) as string);
    expect(summaries).toEqual(['BTCUSDT:klines:2024-01 (2024-01-01..2024-01-02)']);

    // Every symbol's candles are the archive's, once each, whatever run wrote them.
    const archive = parseKlinesCsv(januaryHead);
    expect(archive).toHaveLength(2 * 1440);
    const expected = archive.map((k) => [k.openTimeMs, canonicalDecimal(k.open), canonicalDecimal(k.high), canonicalDecimal(k.low), canonicalDecimal(k.close), canonicalDecimal(k.volume), k.tradeCount].join(','));
    for (const s of symbols) {
      const rows = await fx.query(`SELECT epoch_ms(window_start) AS t, open::VARCHAR AS o, high::VARCHAR AS h, low::VARCHAR AS l, close::VARCHAR AS c, volume::VARCHAR AS v, trade_count AS n
        FROM silver_candles_all_revisions WHERE symbol = '${s}' AND "interval" = '1m' ORDER BY window_start`);
      expect(rows.map((r) => [Number(r.t), canonicalDecimal(String(r.o)), canonicalDecimal(String(r.h)), canonicalDecimal(String(r.l)), canonicalDecimal(String(r.c)), canonicalDecimal(String(r.v)), Number(r.n)].join(',')), s).toEqual(expected);
    }
    const all = await fx.query(`SELECT symbol, count(*) AS n, count(DISTINCT ("interval", window_start)) AS keys FROM silver_candles_all_revisions GROUP BY 1`);
    for (const r of all) expect([r.symbol, Number(r.n), Number(r.keys)]).toEqual([r.symbol, 2 * 1848, 2 * 1848]);
    expect(all).toHaveLength(symbols.length);
  }, 180_000);

  it('retryFailed after continue-as-new redoes the failed item of an earlier run', async () => {
    const corrupt = '/data/spot/monthly/klines/CCCUSDT/1m/CCCUSDT-1m-2024-01.zip';
    const good = zipSingleFile('CCCUSDT-1m-2024-01.csv', Buffer.from(januaryHead));
    fx.binance.serveArchive(corrupt, Buffer.from('PK\u0003\u0004 not a zip'));
    fx.binance.serveArchive('/data/spot/monthly/klines/DDDUSDT/1m/DDDUSDT-1m-2024-01.zip', zipSingleFile('DDDUSDT-1m-2024-01.csv', Buffer.from(januaryHead)));
    const handle = await fx.client.workflow.start('backfill', {
      taskQueue: 'marketlake-backfill',
      workflowId: `runs-retry-${randomUUID().slice(0, 8)}`,
      args: [{ symbols: ['CCCUSDT', 'DDDUSDT'], from: '2024-01-01', to: '2024-01-02', source: 'klines', mode: 'all', maxConcurrency: 1, retryWaitMinutes: 1 } as never],
    });
    // Run 1 fails CCCUSDT (corrupt file) and continues as new; run 2 writes DDDUSDT and waits for retryFailed.
    const latest = fx.client.workflow.getHandle(handle.workflowId);
    const deadline = Date.now() + 60_000;
    let progress: BackfillProgress | undefined;
    while (Date.now() < deadline) {
      progress = await latest.query<BackfillProgress>('progress').catch(() => undefined);
      if (progress?.phase === 'waiting-for-retry') break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(progress).toMatchObject({ phase: 'waiting-for-retry', run: 2, partitions: { done: 2, failed: 2 } });
    fx.binance.serveArchive(corrupt, good);
    await latest.signal('retryFailed');
    const result = (await latest.result()) as BackfillResult;
    expect(result.failed).toEqual([]);
    expect(result.progress).toMatchObject({ run: 3, partitions: { total: 4, done: 4, failed: 0 } });
    const [cc] = await fx.query(`SELECT count(*) AS n FROM silver_candles_all_revisions WHERE symbol = 'CCCUSDT'`);
    expect(Number(cc.n)).toBe(2 * 1848);
  }, 120_000);

  it('a symbol Binance does not have fails the run at once with UnknownSymbolError naming it, and writes nothing', async () => {
    const before = await backfillTableVersions();
    for (const source of ['klines', 'rest'] as const) {
      const t0 = Date.now();
      const handle = await fx.client.workflow.start('backfill', {
        taskQueue: 'marketlake-backfill',
        workflowId: `unknown-${source}-${randomUUID().slice(0, 8)}`,
        args: [{ symbols: ['BTCUSDT', 'NOSUCHCOINUSDT'], from: '2024-01-01', to: '2024-01-02', source, mode: 'all' } as never],
      });
      const err = await handle.result().then(() => undefined, (e: unknown) => e);
      expect(err, source).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause, source).toBeInstanceOf(ApplicationFailure);
      expect(cause.type, source).toBe('UnknownSymbolError');
      expect(cause.nonRetryable, source).toBe(true);
      expect(cause.message, source).toContain('"NOSUCHCOINUSDT" is not a Binance symbol');
      expect(cause.details, source).toEqual([{ field: 'symbols', symbol: 'NOSUCHCOINUSDT' }]);
      expect(Date.now() - t0, source).toBeLessThan(10_000);
    }
    expect(await backfillTableVersions()).toBe(before);
  }, 60_000);
});
