/**
 * The latest revision of each candle, as the `silver_candles` view defines it, but computed the
 * way the checks can afford at full size: revisions are rare (only late trades make them), so
 * instead of ranking every row by a window over all candles, the few keys with a revision > 0 are
 * found first (a filter on one column) and every row is kept unless a higher revision of its key
 * exists (a hash join against that small set). Two rows sharing a key's top revision are both
 * kept (candle_uniqueness reports them).
 */
import type { CheckContext } from './check.ts';

/**
 * SQL of the latest candles matching `where` (unqualified columns of silver_candles_all_revisions).
 * When the run found no revision > 0 in silver at all (`ctx.candleRevisions` false, the usual
 * case), every row is its candle's latest and the table is read as it is.
 */
export function latestCandlesSql(ctx: Pick<CheckContext, 'candleRevisions'>, where: string): string {
  if (!ctx.candleRevisions) return `(SELECT * FROM silver_candles_all_revisions WHERE ${where})`;
  return `(SELECT c.* FROM silver_candles_all_revisions c
    LEFT JOIN (
      SELECT exchange, symbol, "interval", window_start, max(revision) AS top FROM silver_candles_all_revisions
      WHERE revision > 0 AND ${where} GROUP BY ALL
    ) r USING (exchange, symbol, "interval", window_start)
    WHERE ${where} AND c.revision = coalesce(r.top, 0))`;
}
