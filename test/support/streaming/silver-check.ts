/**
 * The invariant of the streaming service, checked against the lake: for every symbol and
 * interval, the latest revisions in silver_candles equal the DuckDB recomputation from
 * bronze_trades, window for window, up to the last window silver has finalised; and no two rows
 * of one candle share a revision (the latest-revision view would pick between them arbitrarily).
 */
import { CANDLE_INTERVALS, type CandleInterval } from '../../../common/events/index.ts';
import { candleEventFromRow, LakeQueryEngine, SILVER_CANDLE_EVENT_COLUMNS } from '../../../lake/index.ts';
import { recomputeCandles, type RecomputedCandle } from '../../../streaming/index.ts';


export interface SilverCheck {
  readonly compared: number;
  readonly mismatches: string[];
}

function content(c: RecomputedCandle) {
  return {
    windowStartUs: c.windowStartUs, windowEndUs: c.windowEndUs, open: c.open, high: c.high, low: c.low, close: c.close,
    volume: c.volume, quoteVolume: c.quoteVolume, vwap: c.vwap, tradeCount: c.tradeCount, takerBuyVolume: c.takerBuyVolume,
    takerBuyQuoteVolume: c.takerBuyQuoteVolume, firstTradeId: c.firstTradeId, lastTradeId: c.lastTradeId,
  };
}

export async function checkSilverAgainstBronze(engine: LakeQueryEngine, intervals: readonly CandleInterval[] = CANDLE_INTERVALS): Promise<SilverCheck> {
  await engine.refresh();
  const groups = (await engine.query(`SELECT exchange, symbol, "interval", epoch_us(max(window_end)) AS until_us FROM silver_candles GROUP BY ALL ORDER BY ALL`)).rows;
  const mismatches: string[] = [];
  const ties = await engine.query(
    `SELECT exchange, symbol, "interval", window_start::VARCHAR AS window_start, revision, count(*) AS n FROM silver_candles_all_revisions GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL LIMIT 20`,
  );
  for (const t of ties.rows) mismatches.push(`${t.exchange}:${t.symbol} ${t.interval} ${t.window_start}: ${t.n} rows with revision ${t.revision}`);
  let compared = 0;
  for (const g of groups) {
    const interval = String(g.interval) as CandleInterval;
    if (!intervals.includes(interval)) continue;
    const exchange = String(g.exchange);
    const symbol = String(g.symbol);
    const silver = (
      await engine.query(`SELECT ${SILVER_CANDLE_EVENT_COLUMNS} FROM silver_candles WHERE exchange = '${exchange}' AND symbol = '${symbol}' AND "interval" = '${interval}' ORDER BY window_start`)
    ).rows.map((r) => content({ ...candleEventFromRow(r) }));
    const batch = (await recomputeCandles(engine, exchange, symbol, interval, Number(g.until_us))).map(content);
    compared += batch.length;
    if (silver.length !== batch.length) mismatches.push(`${exchange}:${symbol} ${interval}: silver has ${silver.length} windows, recomputation ${batch.length}`);
    const n = Math.min(silver.length, batch.length);
    for (let i = 0; i < n && mismatches.length < 20; i++) {
      if (JSON.stringify(silver[i]) !== JSON.stringify(batch[i])) mismatches.push(`${exchange}:${symbol} ${interval}: silver ${JSON.stringify(silver[i])} != batch ${JSON.stringify(batch[i])}`);
    }
  }
  return { compared, mismatches };
}

/** Bronze trade counts: total rows and distinct (exchange, symbol, trade_id). */
export async function bronzeCounts(engine: LakeQueryEngine): Promise<{ rows: number; distinct: number }> {
  await engine.refresh();
  const r = (await engine.query(`SELECT count(*) AS rows, count(DISTINCT (exchange, symbol, trade_id)) AS distinct_ids FROM bronze_trades`)).rows[0];
  return { rows: Number(r.rows), distinct: Number(r.distinct_ids) };
}

/** What the exactly-once tests check at the end of a run, read through one set of lake views. */
export interface LakeOutcome {
  readonly bronze: { rows: number; distinct: number };
  readonly silver: SilverCheck;
  /** Rows of silver with revision > 0 (late trades revised final candles). */
  readonly revisions: number;
}

export async function lakeOutcome(lakeDir: string): Promise<LakeOutcome> {
  const engine = await LakeQueryEngine.open({ lake: lakeDir });
  try {
    const bronze = await bronzeCounts(engine);
    const silver = await checkSilverAgainstBronze(engine);
    const revised = await engine.query(`SELECT count(*) AS n FROM silver_candles_all_revisions WHERE revision > 0`);
    return { bronze, silver, revisions: Number(revised.rows[0].n) };
  } finally {
    engine.close();
  }
}

/**
 * Final revisions that took trades away: bronze is append-only, so a later revision of a final
 * candle can only hold more trades (a late one) or, for an empty window, carry another close;
 * one with fewer trades or less volume than the revision before it was published wrong.
 */
export async function revisionRegressions(engine: LakeQueryEngine): Promise<string[]> {
  await engine.refresh();
  const rows = (
    await engine.query(`
      WITH r AS (
        SELECT exchange, symbol, "interval", window_start, revision, trade_count, volume,
          lag(trade_count) OVER k AS prev_count, lag(volume) OVER k AS prev_volume, lag(revision) OVER k AS prev_revision
        FROM silver_candles_all_revisions WHERE is_final
        WINDOW k AS (PARTITION BY exchange, symbol, "interval", window_start ORDER BY revision)
      )
      SELECT symbol, "interval", window_start::VARCHAR AS ws, prev_revision, revision, prev_count, trade_count, prev_volume::VARCHAR AS prev_volume, volume::VARCHAR AS volume
      FROM r WHERE trade_count < prev_count OR volume < prev_volume ORDER BY ALL LIMIT 20`)
  ).rows;
  return rows.map((r) => `${r.symbol} ${r.interval} ${r.ws}: revision ${r.prev_revision} → ${r.revision} went from ${r.prev_count} trades (${r.prev_volume}) to ${r.trade_count} (${r.volume})`);
}
