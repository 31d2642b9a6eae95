/**
 * The backfill's work, as plain functions of the activity dependencies: planning and running
 * one work item. The Temporal activities (activities.ts) and `marketlake backfill --local` both
 * call these, so the two paths write exactly the same thing.
 */
import fs from 'node:fs';
import { backfillMetrics } from '../../common/metrics-catalog.ts';
import type { TradeEvent } from '../../common/events/index.ts';
import { LakeQueryEngine, sqlLiteral } from '../../lake/index.ts';
import { minutesExpectedSql, silverMinuteCoverageSql } from '../../transforms/index.ts';
import { BinanceRestClient, extractCsvAsGzip, InvalidSymbolError, readArchiveTrades } from '../../producers/index.ts';
import type { ActivityDeps } from '../activity-deps.ts';
import { ArchiveCache } from './archive-cache.ts';
import { withBackfillConnection } from './backfill-duckdb.ts';
import { ArchiveUnavailableError, BackfillItemError, CorruptArchiveError, TransientFetchError } from './errors.ts';
import { backfillSummary, DAY_MS, dayStartMs, dayOf, normaliseBackfillInput, UnknownSymbolError, type BackfillInput, type NormalisedInput } from './input.ts';
import { allPartitions, partitionKey, planItems, type BackfillPlan, type PartitionState } from './plan.ts';
import { alreadyCommitted, writeSilverPartitions } from './silver-writer.ts';
import { checkSymbolsExist } from './symbol-check.ts';
import { BadKlineRowsError, dropStaged, loadKlines, loadKlinesCsv, stageCandleEvents, stageFromKlines, stagingName } from './staging.ts';
import { candlesFromTrades, writeBronzeTrades } from './trades-backfill.ts';
import type { DayOutcome, ItemRequest, ItemResult } from './types.ts';

export interface ItemHooks {
  /** Called often with where the item is (the activity heartbeats it; cancellation arrives here). */
  heartbeat(details: ItemCheckpoint): void;
  /** Aborted when the run is cancelled: the item stops before its commit. */
  readonly signal?: AbortSignal;
  /** Details of the last heartbeat of a previous attempt (after a worker died). */
  readonly resumeFrom?: ItemCheckpoint;
  /** Set by runItem: a commit of some of the item's days landed (they go into every later heartbeat). */
  readonly onCommitted?: (days: readonly DayOutcome[], rows: number) => void;
}

export interface ItemCheckpoint {
  readonly itemId: string;
  readonly phase: 'download' | 'stage' | 'commit' | 'committed';
  readonly bytes?: number;
  readonly totalBytes?: number;
  /** Days of the item committed so far (this attempt and the ones it resumed), with their outcomes: a retry skips them. */
  readonly committed?: readonly DayOutcome[];
  /** Rows those commits wrote. */
  readonly rowsWritten?: number;
}

/**
 * The days of a previous attempt's heartbeat that the lake confirms (their `txn` carries this
 * run's version): the heartbeat says what was done, the lake's txn decides, so a heartbeat sent
 * just before a commit that then failed never skips a day.
 */
async function confirmedCommits(deps: ActivityDeps, req: ItemRequest, resumeFrom: ItemCheckpoint | undefined): Promise<DayOutcome[]> {
  const claimed = (resumeFrom?.committed ?? []).filter((d) => d.status === 'done' && req.item.days.includes(d.day));
  if (claimed.length === 0 || !(await deps.lake.listTables()).includes('silver/candles')) return [];
  const table = await deps.lake.table('silver/candles');
  await table.refresh();
  return claimed.filter((d) => alreadyCommitted(table, { exchange: req.exchange, symbol: req.item.symbol, days: [d.day], runVersion: req.runVersion }));
}

export interface DayCoverage {
  /** 1m candles silver holds for the day. */
  readonly present: number;
  /** Expected minutes without a candle: the day is incomplete when > 0. */
  readonly missing: number;
}

/**
 * Every symbol-day of the range with the 1m candles silver holds and the minutes it misses, by
 * the definition gold/coverage records (transforms' silverMinuteCoverageSql): the day the ledger
 * flags is the day the `missing` mode plans, and a quiet minute (a candle without trades) is not
 * a gap. A day without any candle misses all its expected minutes.
 */
export async function silverDayCoverage(deps: Pick<ActivityDeps, 'lake'>, input: Pick<NormalisedInput, 'symbols' | 'fromDay' | 'toDay' | 'exchange'>, nowMs: number): Promise<Map<string, DayCoverage>> {
  const out = new Map<string, DayCoverage>();
  const engine = await LakeQueryEngine.open({ lake: deps.lake });
  try {
    const symbols = input.symbols.map(sqlLiteral).join(', ');
    const [from, to] = [sqlLiteral(input.fromDay), sqlLiteral(input.toDay)];
    const where = `exchange = ${sqlLiteral(input.exchange)} AND symbol IN (${symbols}) AND "date" BETWEEN DATE ${from} AND DATE ${to}`;
    const { rows } = await engine.query(`
      WITH days AS (
        SELECT s.symbol, CAST(d.t AS DATE) AS "date" FROM (SELECT unnest([${symbols}]) AS symbol) s,
          range(CAST(DATE ${from} AS TIMESTAMP), CAST(DATE ${to} AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY) d(t)
      )
      SELECT days.symbol, CAST(days."date" AS VARCHAR) AS day, coalesce(c.candles_present, 0) AS present,
        coalesce(c.missing_minutes, ${minutesExpectedSql('days."date"', nowMs * 1000)}) AS missing
      FROM days LEFT JOIN (${silverMinuteCoverageSql(where, nowMs * 1000)}) c ON c.symbol = days.symbol AND c."date" = days."date"`);
    for (const r of rows) out.set(partitionKey({ symbol: String(r.symbol), day: String(r.day) }), { present: Number(r.present), missing: Number(r.missing) });
  } finally {
    engine.close();
  }
  return out;
}

/** Checks the input (InvalidBackfillInput names the field) and plans the work. Writes nothing. */
export async function planBackfill(deps: Pick<ActivityDeps, 'lake' | 'config' | 'fetch' | 'logger'>, raw: BackfillInput, nowMs: number): Promise<BackfillPlan> {
  const input = normaliseBackfillInput(raw, { nowMs, maxPartitions: deps.config.BACKFILL_MAX_PARTITIONS });
  const coverage = await silverDayCoverage(deps, input, nowMs);
  const toWrite = new Map<string, string[]>();
  const skipped: PartitionState[] = [];
  const existing: PartitionState[] = [];
  for (const p of allPartitions(input)) {
    const day = coverage.get(partitionKey(p));
    const state = { ...p, candles1m: day?.present ?? 0 };
    if (input.mode === 'missing' && day?.missing === 0) {
      skipped.push(state);
      continue;
    }
    if (state.candles1m > 0) existing.push(state);
    const list = toWrite.get(p.symbol) ?? [];
    list.push(p.day);
    toWrite.set(p.symbol, list);
  }
  const items = planItems(input, toWrite, deps.config.BINANCE_ARCHIVE_URL, dayOf(nowMs));
  await checkSymbolsExist(deps, [...toWrite.keys()], items);
  const partitionsTotal = skipped.length + items.reduce((n, i) => n + i.days.length, 0);
  return { summary: backfillSummary(input), partitionsTotal, items, skipped, existing, rowsExpected: items.reduce((n, i) => n + i.rowsExpected, 0), itemsPerRun: deps.config.BACKFILL_ITEMS_PER_RUN };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
}

/**
 * The zip's csv next to it, for DuckDB (which reads csv and gzip, not zip): as a gzip file made of
 * the entry's deflate data as it is (DuckDB inflates while it parses, see extractCsvAsGzip).
 */
async function extractCsv(zipFile: string, url: string): Promise<string> {
  const base = `${zipFile}.${process.pid}.${Date.now()}`;
  try {
    const { compression } = await extractCsvAsGzip(zipFile, `${base}.csv.gz`);
    if (compression === 'none') await fs.promises.rename(`${base}.csv.gz`, `${base}.csv`);
    return compression === 'gzip' ? `${base}.csv.gz` : `${base}.csv`;
  } catch (err) {
    await fs.promises.rm(`${base}.csv.gz`, { force: true });
    throw new CorruptArchiveError(url, (err as Error).message);
  }
}

function restClient(deps: ActivityDeps): BinanceRestClient {
  return new BinanceRestClient({ baseUrl: deps.config.BINANCE_REST_BASE_URL, logger: deps.logger, retries: 3 });
}

/** Runs one work item: fetch (cache), verify, stage, commit its partitions. */
export async function runItem(deps: ActivityDeps, req: ItemRequest, hooks: ItemHooks): Promise<ItemResult> {
  const { item } = req;
  const metrics = backfillMetrics(deps.registry);
  const started = Date.now();
  const log = deps.logger.child({ item: item.id });
  // Resume: the days a previous attempt committed (its last heartbeat's details, confirmed by the lake) are not done again.
  const resumed = await confirmedCommits(deps, req, hooks.resumeFrom);
  const committed = { days: [...resumed], rows: resumed.length > 0 ? (hooks.resumeFrom?.rowsWritten ?? 0) : 0 };
  const outer = hooks;
  hooks = {
    ...outer,
    heartbeat: (d) => outer.heartbeat({ ...d, committed: committed.days, rowsWritten: committed.rows }),
    onCommitted: (days, rows) => {
      committed.days.push(...days);
      committed.rows += rows;
    },
  };
  const skip = new Set(resumed.map((d) => d.day));
  const todo = item.days.filter((d) => !skip.has(d));
  if (hooks.resumeFrom) {
    log.info({ resumeFrom: { phase: hooks.resumeFrom.phase, committed: hooks.resumeFrom.committed?.length ?? 0 }, skippedDays: [...skip], remainingDays: todo.length }, `resuming a work item: ${skip.size} day(s) the previous attempt committed are skipped, ${todo.length} left`);
  }
  const cache = new ArchiveCache({
    cacheDir: deps.config.archiveCacheDir,
    fetch: deps.fetch,
    timeoutMs: deps.config.BACKFILL_HTTP_TIMEOUT_MS,
    onProgress: (p) => hooks.heartbeat({ itemId: item.id, phase: 'download', bytes: p.bytes, totalBytes: p.totalBytes }),
  });
  const beat = setInterval(() => hooks.heartbeat({ itemId: item.id, phase: 'stage' }), 1000);
  try {
    let result: ItemResult;
    if (todo.length === 0) result = { itemId: item.id, days: [], rowsWritten: 0, bytesDownloaded: 0, committed: false };
    else if (item.source === 'rest') result = await restItem(deps, req, hooks, todo);
    else {
      try {
        result = await archiveItem(deps, req, hooks, cache, item.archive!.url, todo);
      } catch (err) {
        if (!(err instanceof ArchiveUnavailableError)) throw err;
        result = await unpublished(deps, req, hooks, cache, todo);
      }
    }
    if (resumed.length > 0) {
      const byDay = new Map([...resumed, ...result.days].map((d) => [d.day, d]));
      result = { ...result, days: item.days.map((d) => byDay.get(d)!), rowsWritten: result.rowsWritten + (hooks.resumeFrom?.rowsWritten ?? 0), resumedDays: resumed.length };
    }
    metrics.rowsWritten.inc(result.rowsWritten);
    for (const d of result.days) metrics.partitions.inc({ state: d.status === 'done' ? 'done' : d.status === 'failed' ? 'failed' : 'skipped' });
    metrics.partitionSeconds.observe((Date.now() - started) / 1000 / Math.max(1, item.days.length));
    log.info({ rows: result.rowsWritten, bytes: result.bytesDownloaded, ms: Date.now() - started, committed: result.committed }, 'work item done');
    return result;
  } finally {
    clearInterval(beat);
  }
}

/** Downloads (or takes from the cache) one archive and writes its days. */
async function archiveItem(deps: ActivityDeps, req: ItemRequest, hooks: ItemHooks, cache: ArchiveCache, url: string, days: readonly string[]): Promise<ItemResult> {
  hooks.heartbeat({ itemId: req.item.id, phase: 'download' });
  const archive = await cache.get(url, hooks.signal);
  if (archive.downloaded) backfillMetrics(deps.registry).bytesDownloaded.inc(archive.bytes);
  throwIfAborted(hooks.signal);
  const sub = { ...req, item: { ...req.item, days, archive: { ...req.item.archive!, url } } };
  const result = req.item.source === 'klines' ? await klinesItem(deps, sub, hooks, cache, archive.file) : await tradesItem(deps, sub, hooks, cache, archive.file);
  return { ...result, itemId: req.item.id, bytesDownloaded: archive.downloaded ? archive.bytes : 0 };
}

/**
 * The archive is not published (404). A monthly klines file: the daily files of its days may be
 * (data.binance.vision publishes both); source `auto`: REST klines for what no archive has.
 */
async function unpublished(deps: ActivityDeps, req: ItemRequest, hooks: ItemHooks, cache: ArchiveCache, days: readonly string[]): Promise<ItemResult> {
  const { item } = req;
  const outcomes = new Map<string, DayOutcome>(days.map((day) => [day, { day, status: 'unavailable', rows: 0 }]));
  let rowsWritten = 0;
  let bytesDownloaded = 0;
  let committed = false;
  if (item.source === 'klines' && item.archive?.period === 'monthly') {
    const base = item.archive.url.slice(0, item.archive.url.indexOf('/data/spot/'));
    for (const day of days) {
      throwIfAborted(hooks.signal);
      try {
        const r = await archiveItem(deps, req, hooks, cache, `${base}/data/spot/daily/klines/${item.symbol}/1m/${item.symbol}-1m-${day}.zip`, [day]);
        for (const d of r.days) outcomes.set(d.day, d);
        rowsWritten += r.rowsWritten;
        bytesDownloaded += r.bytesDownloaded;
        committed ||= r.committed;
      } catch (err) {
        if (err instanceof ArchiveUnavailableError) continue;
        // One day's bad file fails that day only; transient trouble retries the item (days done are skipped by their txn).
        if (!(err instanceof BackfillItemError) || err.retryable) throw err;
        outcomes.set(day, { day, status: 'failed', rows: 0, reason: err.message, errorType: err.name });
      }
    }
  }
  const missing = days.filter((d) => outcomes.get(d)!.status === 'unavailable');
  if (item.restFallback && missing.length > 0) {
    deps.logger.info({ item: item.id, days: missing.length }, 'archive not published: REST klines instead');
    const r = await restItem(deps, req, hooks, missing);
    for (const d of r.days) outcomes.set(d.day, d);
    rowsWritten += r.rowsWritten;
    committed ||= r.committed;
  }
  return { itemId: item.id, days: days.map((d) => outcomes.get(d)!), rowsWritten, bytesDownloaded, committed };
}

async function klinesItem(deps: ActivityDeps, req: ItemRequest, hooks: ItemHooks, cache: ArchiveCache, zipFile: string): Promise<ItemResult> {
  const { item } = req;
  const url = item.archive!.url;
  let csv: string;
  try {
    csv = await extractCsv(zipFile, url);
  } catch (err) {
    await cache.evict(url); // a later run downloads it again
    throw err;
  }
  try {
    return await withBackfillConnection(deps.config.BACKFILL_DUCKDB_THREADS, async (conn) => {
      const oneMinute = stagingName('bf_k1m');
      const staged = stagingName('bf_candles');
      try {
        try {
          await loadKlinesCsv(conn, csv, oneMinute);
        } catch (err) {
          await cache.evict(url);
          throw new CorruptArchiveError(url, err instanceof BadKlineRowsError ? err.message : (err as Error).message);
        }
        await stageFromKlines(conn, oneMinute, staged);
        return await commitStaged(deps, req, hooks, conn, staged, 'klines', item.days);
      } finally {
        await dropStaged(conn, oneMinute, staged);
      }
    });
  } finally {
    await fs.promises.rm(csv, { force: true });
  }
}

/** Commits the staged candles of `days` (those with at least one 1m candle) and reports per day. */
async function commitStaged(deps: ActivityDeps, req: ItemRequest, hooks: ItemHooks, conn: import('@duckdb/node-api').DuckDBConnection, staged: string, source: string, days: readonly string[]): Promise<ItemResult> {
  const { item } = req;
  const present = new Map<string, number>();
  for (const r of (await conn.runAndReadAll(`SELECT CAST(CAST(make_timestamp(window_start_us) AS DATE) AS VARCHAR) AS day, count(*) AS n FROM ${staged} GROUP BY 1`)).getRowObjectsJson()) {
    present.set(String(r.day), Number(r.n));
  }
  const writable = days.filter((d) => (present.get(d) ?? 0) > 0);
  throwIfAborted(hooks.signal);
  hooks.heartbeat({ itemId: item.id, phase: 'commit' });
  const written = writable.length
    ? await writeSilverPartitions(deps.lake, conn, staged, { exchange: req.exchange, symbol: item.symbol, days: writable, source, mode: req.mode, runVersion: req.runVersion })
    : { committed: false, rowsWritten: 0, bytesWritten: 0, conflictRetries: 0 };
  const outcomes: DayOutcome[] = days.map((day) => (present.get(day) ? { day, status: 'done', rows: present.get(day)!, source } : { day, status: 'unavailable', rows: 0 }));
  hooks.onCommitted?.(outcomes.filter((d) => d.status === 'done'), written.rowsWritten);
  hooks.heartbeat({ itemId: item.id, phase: 'committed' });
  if (written.conflictRetries > 0) deps.logger.info({ item: item.id, conflictRetries: written.conflictRetries }, 'concurrent commits to the same partitions: merged again on top of them');
  return { itemId: item.id, days: outcomes, rowsWritten: written.rowsWritten, bytesDownloaded: 0, committed: written.committed, conflictRetries: written.conflictRetries };
}

async function tradesItem(deps: ActivityDeps, req: ItemRequest, hooks: ItemHooks, cache: ArchiveCache, zipFile: string): Promise<ItemResult> {
  const { item } = req;
  const url = item.archive!.url;
  const day = item.days[0];
  const trades: TradeEvent[] = [];
  let invalid = 0;
  try {
    for await (const t of readArchiveTrades(zipFile, { kind: item.source as 'trades' | 'aggTrades', symbol: item.symbol, exchange: req.exchange, checksum: 'skip', onInvalidRow: () => void (invalid += 1) })) {
      trades.push(t);
      if (trades.length % 100_000 === 0) {
        hooks.heartbeat({ itemId: item.id, phase: 'stage', bytes: trades.length });
        throwIfAborted(hooks.signal);
      }
    }
  } catch (err) {
    await cache.evict(url);
    throw new CorruptArchiveError(url, (err as Error).message);
  }
  if (invalid > 0) {
    await cache.evict(url);
    throw new CorruptArchiveError(url, `${invalid} row(s) do not parse`);
  }
  const dayStartUs = dayStartMs(day) * 1000;
  const inDay = trades.filter((t) => t.tradeTimeUs >= dayStartUs && t.tradeTimeUs < dayStartUs + DAY_MS * 1000);
  const candles = candlesFromTrades(inDay, day, Date.now());
  throwIfAborted(hooks.signal);
  return withBackfillConnection(deps.config.BACKFILL_DUCKDB_THREADS, async (conn) => {
    await writeBronzeTrades(deps.lake, conn, inDay, { exchange: req.exchange, symbol: item.symbol, day, runVersion: req.runVersion });
    const staged = stagingName('bf_candles');
    try {
      await stageCandleEvents(conn, candles, staged);
      return await commitStaged(deps, req, hooks, conn, staged, item.source, item.days);
    } finally {
      await dropStaged(conn, staged);
    }
  });
}

async function restItem(deps: ActivityDeps, req: ItemRequest, hooks: ItemHooks, days: readonly string[]): Promise<ItemResult> {
  const { item } = req;
  const client = restClient(deps);
  const klines: import('../../common/events/index.ts').Kline[] = [];
  const endMs = dayStartMs(days[days.length - 1]) + DAY_MS;
  for (let start = dayStartMs(days[0]); start < endMs; ) {
    throwIfAborted(hooks.signal);
    let page;
    try {
      page = await client.klines({ symbol: item.symbol, interval: '1m', startTimeMs: start, endTimeMs: endMs - 1, limit: 1000 });
    } catch (err) {
      if (err instanceof InvalidSymbolError) throw new UnknownSymbolError(item.symbol);
      throw new TransientFetchError(`${deps.config.BINANCE_REST_BASE_URL}/api/v3/klines`, (err as Error).message);
    }
    const wanted = page.filter((k) => days.includes(dayOf(Math.floor(k.openTimeUs / 1000))));
    klines.push(...wanted);
    hooks.heartbeat({ itemId: item.id, phase: 'download', bytes: klines.length });
    if (page.length < 1000) break;
    start = Math.floor(page[page.length - 1].openTimeUs / 1000) + 60_000;
  }
  // A kline still forming (its minute not over) is not final: leave it to the stream.
  const nowUs = Date.now() * 1000;
  const closed = klines.filter((k) => k.openTimeUs + 60_000_000 <= nowUs);
  return withBackfillConnection(deps.config.BACKFILL_DUCKDB_THREADS, async (conn) => {
    const oneMinute = stagingName('bf_r1m');
    const staged = stagingName('bf_candles');
    try {
      await loadKlines(conn, closed, oneMinute);
      await stageFromKlines(conn, oneMinute, staged);
      return await commitStaged(deps, req, hooks, conn, staged, 'rest', days);
    } finally {
      await dropStaged(conn, oneMinute, staged);
    }
  });
}

