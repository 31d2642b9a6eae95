/**
 * The latest revision of each candle, as the `silver_candles` view defines it, but computed the
 * way the checks can afford at full size: revisions are rare (only late trades make them), so
 * instead of ranking every row by a window over all candles, the few keys with a revision > 0 are
 * found first (a filter on one column) and every row is kept unless a higher revision of its key
 * exists (a hash join against that small set). Two rows sharing a key's top revision are both
 * kept (candle_uniqueness reports them).
 *
 * Several checks read the same candles (validity, uniqueness, rollups, missing minutes): each
 * declares its window (`QualityCheck.candleWindow`), the runner materialises the latest candles
 * of the widest one once per run (`materialiseLatestCandles`), and `latestCandlesSql` reads that
 * temp table whenever it covers the window asked for, so the Parquet is decoded once a run.
 */
import type { LakeQueryEngine } from '../../lake/index.ts';
import type { CandleWindow, CheckContext, MaterialisedCandles } from './check.ts';
import { timeRangeSql } from './sql.ts';

/** The temp table of one run's latest candles (one run at a time per engine: runChecks is sequential). */
const LATEST_CANDLES_TABLE = '__quality_latest_candles';

/** A SELECT of the latest candles matching `where` (unqualified columns of silver_candles_all_revisions). */
function latestFromSilverSql(candleRevisions: boolean, where: string): string {
  // When the run found no revision > 0 in silver at all (the usual case), every row is its candle's latest.
  if (!candleRevisions) return `SELECT * FROM silver_candles_all_revisions WHERE ${where}`;
  return `SELECT c.* FROM silver_candles_all_revisions c
    LEFT JOIN (
      SELECT exchange, symbol, "interval", window_start, max(revision) AS top FROM silver_candles_all_revisions
      WHERE revision > 0 AND ${where} GROUP BY ALL
    ) r USING (exchange, symbol, "interval", window_start)
    WHERE ${where} AND c.revision = coalesce(r.top, 0)`;
}

function windowSql(window: CandleWindow): string {
  return timeRangeSql('window_start', window.fromUs, window.toUs);
}

function covers(outer: CandleWindow, inner: CandleWindow): boolean {
  const fromOk = outer.fromUs === undefined || (inner.fromUs !== undefined && inner.fromUs >= outer.fromUs);
  return fromOk && inner.toUs <= outer.toUs;
}

/**
 * SQL (a parenthesised relation) of the latest candles with `window_start` in `window` and
 * matching `where`: read from the run's materialised candles when they cover the window, else
 * from silver.
 */
export function latestCandlesSql(ctx: Pick<CheckContext, 'candleRevisions' | 'latestCandles'>, window: CandleWindow, where?: string): string {
  const m = ctx.latestCandles;
  if (m && covers(m.window, window)) return candleKeysSql(ctx, window, where);
  return `(${latestFromSilverSql(ctx.candleRevisions, where ? `${windowSql(window)} AND ${where}` : windowSql(window))})`;
}

/**
 * SQL (a parenthesised relation) of candle rows with `window_start` in `window` and matching
 * `where`, for questions about which candles exist (their keys), not their values: the run's
 * materialised candles when they cover the window (every key there is), else every revision in
 * silver (the same keys, without resolving revisions).
 */
export function candleKeysSql(ctx: Pick<CheckContext, 'latestCandles'>, window: CandleWindow, where?: string): string {
  const filter = where ? `${windowSql(window)} AND ${where}` : windowSql(window);
  const m = ctx.latestCandles;
  return `(SELECT * FROM ${m && covers(m.window, window) ? m.relation : 'silver_candles_all_revisions'} WHERE ${filter})`;
}

/** The smallest window covering all of `windows` (undefined when there are none). */
export function unionOfWindows(windows: readonly CandleWindow[]): CandleWindow | undefined {
  if (windows.length === 0) return undefined;
  const unbounded = windows.some((w) => w.fromUs === undefined);
  return {
    fromUs: unbounded ? undefined : Math.min(...windows.map((w) => w.fromUs!)),
    toUs: Math.max(...windows.map((w) => w.toUs)),
  };
}

/** Materialises the latest candles of `window` as the run's temp table. */
export async function materialiseLatestCandles(engine: LakeQueryEngine, candleRevisions: boolean, window: CandleWindow): Promise<MaterialisedCandles> {
  await engine.createTempTable(LATEST_CANDLES_TABLE, latestFromSilverSql(candleRevisions, windowSql(window)));
  return { relation: `temp.${LATEST_CANDLES_TABLE}`, window };
}

export async function dropLatestCandles(engine: LakeQueryEngine, m: MaterialisedCandles | undefined): Promise<void> {
  if (m) await engine.dropTempTable(LATEST_CANDLES_TABLE);
}
