/**
 * Repair of final candles from bronze, for trades too late for the operator's in-memory horizon
 * (STREAM_LATE_RETENTION_MS): once such a trade is in bronze, every final window it can change
 * (its own, and the empty windows after it that carry its close forward) is recomputed with
 * DuckDB and compared with silver's latest revision; what differs is returned as a new revision.
 * The caller bounds the range: only windows whose trades are all in bronze may be recomputed
 * (a window recomputed while some of its trades are still on their way to bronze would be
 * published with fewer trades than it has).
 */
import { CANDLE_INTERVALS, INTERVAL_MINUTES, type CandleEvent } from '../../common/events/index.ts';
import { candleEventFromRow, SILVER_CANDLE_EVENT_COLUMNS, sqlLiteral, type LakeQueryEngine } from '../../lake/index.ts';
import { toScaled } from '../../common/decimal.ts';
import { fingerprint } from '../candles/candle-operator.ts';
import { recomputeCandles } from './recompute-candles.ts';

export interface RepairRange {
  /** The earliest too-late trade (µs): windows from the one holding it are recomputed. */
  readonly fromUs: number;
  /** Windows ending after this (µs) are left alone (they are not the repair's to write). */
  readonly untilUs: number;
  readonly maxFillGapMs?: number;
}

export interface RepairResult {
  /** New candles and revisions to publish. */
  readonly revisions: CandleEvent[];
  /**
   * Windows left alone because bronze holds fewer trades (or less volume) than silver's candle:
   * bronze is behind (the trades are on their way again), not silver wrong. Try again later.
   */
  readonly behind: number;
}

export async function repairCandles(engine: LakeQueryEngine, exchange: string, symbol: string, range: RepairRange, nowUs: number): Promise<RepairResult> {
  await engine.refresh();
  const where = `exchange = ${sqlLiteral(exchange)} AND symbol = ${sqlLiteral(symbol)}`;
  const out: CandleEvent[] = [];
  let behind = 0;
  for (const interval of CANDLE_INTERVALS) {
    const size = INTERVAL_MINUTES[interval] * 60_000_000;
    const from = Math.floor(range.fromUs / size) * size;
    const frontier = Number((await engine.query(`SELECT epoch_us(max(window_end)) AS u FROM silver_candles_all_revisions WHERE ${where} AND "interval" = ${sqlLiteral(interval)} AND is_final`)).rows[0]?.u ?? NaN);
    const until = Math.min(frontier, Math.floor(range.untilUs / size) * size);
    if (!Number.isFinite(until) || from >= until) continue;
    const silver = new Map<number, CandleEvent>();
    for (const r of (
      await engine.query(
        `SELECT ${SILVER_CANDLE_EVENT_COLUMNS} FROM silver_candles WHERE ${where} AND "interval" = ${sqlLiteral(interval)} AND window_start >= make_timestamp(${from}) AND window_start < make_timestamp(${until})`,
      )
    ).rows) {
      const c = candleEventFromRow(r);
      silver.set(c.windowStartUs, c);
    }
    for (const c of await recomputeCandles(engine, exchange, symbol, interval, until, from, range.maxFillGapMs)) {
      const event: CandleEvent = { v: 1, ...c, revision: 0, isFinal: true, finalizedAtUs: nowUs, emittedAtUs: nowUs };
      const prev = silver.get(c.windowStartUs);
      if (prev !== undefined && fingerprint(prev) === fingerprint(event)) continue;
      if (prev !== undefined && (event.tradeCount < prev.tradeCount || toScaled(event.volume, 8) < toScaled(prev.volume, 8))) {
        behind++;
        continue;
      }
      out.push(prev === undefined ? event : { ...event, revision: prev.revision + 1 });
    }
  }
  return { revisions: out, behind };
}
