/**
 * Trades older than the candle operator's in-memory horizon (STREAM_LATE_RETENTION_MS behind the
 * watermark): the operator cannot tell them from duplicates any more, so at the flush they are
 * checked against bronze (new ones join their partition's bronze rows), and once bronze holds
 * them the final candles they change are repaired from bronze (batch/repair-candles.ts).
 *
 * The repair runs right after the bronze commit and before the watermark advances: at that point
 * every trade of every final candle in silver is in bronze (a candle finalised by the previous
 * flush may include trades consumed during its commit; this flush committed them). It recomputes
 * only windows the operator no longer holds (before the symbol's retained range) and only up to
 * where the trades can change anything (the fill gap after the latest one); when that reaches the
 * retained range, the partition's state is rebuilt from the lake instead.
 *
 * After a handover or a reset, silver may hold candles another owner (or this one before the
 * reset) finalised from trades that bronze gets only once they are read again. A recomputed
 * window with fewer trades than silver's is such a window: it is left alone (never published
 * with trades taken away) and the repair tried again at the next flushes; when those trades are
 * read again, they are too late themselves and their own repair recomputes the window whole.
 * A repair lost to a revocation (or to a fenced candle commit) is found again by the new owner's
 * recovery, which reconciles silver's hourly trade counts with bronze (recovery.ts).
 */
import type { Logger } from 'pino';
import type { TradeEvent } from '../../common/events/index.ts';
import { sqlLiteral, type LakeQueryEngine } from '../../lake/index.ts';
import { repairCandles } from '../batch/repair-candles.ts';
import type { CandleOperator } from '../candles/candle-operator.ts';
import type { CandlePublisher } from './candle-publisher.ts';
import type { FlushUnit, PartitionState } from './partition-state.ts';
import type { OwnedCandle, SilverWriter } from './silver-writer.ts';
import type { StreamMetrics } from './stream-metrics.ts';

export interface Repair {
  readonly state: PartitionState;
  readonly exchange: string;
  readonly symbol: string;
  readonly fromUs: number;
  readonly toUs: number;
}

export interface TooLateTradesOptions {
  readonly engine: () => LakeQueryEngine;
  readonly operator: CandleOperator;
  readonly silver: SilverWriter;
  readonly publisher: CandlePublisher;
  readonly logger: Logger;
  readonly metrics?: StreamMetrics;
  readonly reset: (s: PartitionState) => void;
  /** True while `s` is still the live state of its partition. */
  readonly isCurrent: (s: PartitionState) => boolean;
}

/** Flushes a repair waiting for bronze is tried again before it is given up (with a warning). */
const MAX_REPAIR_ATTEMPTS = 100;

export class TooLateTrades {
  private waiting: Array<Repair & { attempts: number }> = [];

  constructor(private readonly opts: TooLateTradesOptions) {}

  /** Queues a repair for the next flush (recovery's reconciliation). */
  schedule(r: Repair): void {
    this.waiting.push({ ...r, attempts: 0 });
  }

  /** Repairs waiting for bronze to catch up with what silver already holds. */
  get deferred(): number {
    return this.waiting.length;
  }

  /**
   * Before the bronze commit: the too-late trades bronze does not have yet join their unit's rows
   * (so the commit stores them); returns what must be repaired once it has.
   */
  async check(units: readonly FlushUnit[]): Promise<Repair[]> {
    const pending = units.filter((u) => u.tooLate.length > 0);
    if (pending.length === 0) return [];
    const engine = this.opts.engine();
    await engine.refresh();
    const repairs = new Map<string, Repair>();
    for (const u of pending) {
      const bySymbol = new Map<string, TradeEvent[]>();
      for (const t of u.tooLate) {
        const k = `${t.exchange}\u0000${t.symbol}`;
        const list = bySymbol.get(k) ?? [];
        list.push(t);
        bySymbol.set(k, list);
      }
      for (const list of bySymbol.values()) {
        const { exchange, symbol } = list[0];
        const ids = [...new Set(list.map((t) => t.tradeId))];
        const existing = new Set(
          (
            await engine.query(`SELECT trade_id FROM bronze_trades WHERE exchange = ${sqlLiteral(exchange)} AND symbol = ${sqlLiteral(symbol)} AND trade_id IN (${ids.join(',')})`)
          ).rows.map((r) => Number(r.trade_id)),
        );
        for (const t of list) {
          if (existing.has(t.tradeId)) {
            this.opts.metrics?.events.inc({ topic: u.s.input.topic, outcome: 'duplicate' });
            continue;
          }
          existing.add(t.tradeId);
          u.rows.pushEvent(t);
          const key = `${exchange}:${symbol}`;
          const r = repairs.get(key);
          repairs.set(key, { state: u.s, exchange, symbol, fromUs: Math.min(r?.fromUs ?? Infinity, t.tradeTimeUs), toUs: Math.max(r?.toUs ?? -Infinity, t.tradeTimeUs) });
        }
      }
    }
    return [...repairs.values()];
  }

  /**
   * After the bronze commit, before the watermark advances: revises the final candles the trades
   * changed; rebuilds a partition's state only where they reach into what the operator holds.
   */
  async repair(fresh: readonly Repair[], nowMs: number): Promise<void> {
    const merged = new Map<string, Repair & { attempts: number }>();
    for (const r of [...this.waiting, ...fresh.map((f) => ({ ...f, attempts: 0 }))]) {
      if (!this.opts.isCurrent(r.state)) continue; // revoked: see the header (a repair lost to a revocation)
      const key = `${r.state.partition}\u0000${r.exchange}\u0000${r.symbol}`;
      const m = merged.get(key);
      merged.set(key, m === undefined ? r : { ...r, fromUs: Math.min(m.fromUs, r.fromUs), toUs: Math.max(m.toUs, r.toUs), attempts: Math.max(m.attempts, r.attempts) });
    }
    this.waiting = [];
    const repairs: Array<Repair & { attempts: number }> = [];
    // A partition being rebuilt (reset) is repaired once it is ready again.
    for (const r of merged.values()) (r.state.ready ? repairs : this.waiting).push(r);
    if (repairs.length === 0) return;
    const engine = this.opts.engine();
    await engine.refresh();
    const owned: OwnedCandle[] = [];
    const rebuild = new Set<PartitionState>();
    const gapMs = this.opts.operator.maxFillGapMs;
    for (const r of repairs) {
      const epoch = r.state.silverEpoch;
      // The latest trade changes its window and the empty ones after it, up to the next trade
      // (which carries its own close) or the fill gap; plus the largest window holding those.
      const minuteEndUs = (Math.floor(r.toUs / 60_000_000) + 1) * 60_000_000;
      const next = (
        await engine.query(
          `SELECT epoch_us(min(trade_time)) AS us FROM bronze_trades WHERE exchange = ${sqlLiteral(r.exchange)} AND symbol = ${sqlLiteral(r.symbol)} AND trade_time >= make_timestamp(${minuteEndUs})`,
        )
      ).rows[0]?.us;
      const carriedUntilUs = Math.min(next === null || next === undefined ? Infinity : Number(next), r.toUs + gapMs * 1000);
      const reachUs = carriedUntilUs + 3_600_000 * 1000;
      const retainedFromUs = this.opts.operator.retainedFromUs(r.exchange, r.symbol) ?? -Infinity;
      if (reachUs > retainedFromUs) rebuild.add(r.state);
      const range = { fromUs: r.fromUs, untilUs: Math.min(reachUs, retainedFromUs), maxFillGapMs: gapMs };
      const { revisions, behind } = await repairCandles(engine, r.exchange, r.symbol, range, nowMs * 1000);
      for (const candle of revisions) owned.push({ candle, state: r.state, epoch });
      if (behind > 0) {
        if (r.attempts + 1 < MAX_REPAIR_ATTEMPTS) this.waiting.push({ ...r, attempts: r.attempts + 1 });
        else this.opts.logger.warn({ symbol: `${r.exchange}:${r.symbol}`, behind }, 'bronze still holds fewer trades than silver for windows a repair would revise; giving up on them');
      }
    }
    const revisions = owned.length > 0 ? await this.opts.silver.commit(owned) : [];
    if (revisions.length > 0) {
      this.opts.metrics?.candles.inc({ kind: 'revision' }, revisions.length);
      await this.opts.publisher.publishCandles(revisions);
    }
    this.opts.logger.info(
      { symbols: repairs.map((r) => `${r.exchange}:${r.symbol}`), revisions: revisions.length, rebuilt: [...rebuild].map((s) => s.partition) },
      'repaired candles from bronze after trades older than the retention horizon',
    );
    // Where the trades reach into the operator's windows (emitted revisions, carried close), its
    // view is stale: rebuilt by the next batch of the partition, or by the timer when it is idle.
    for (const s of rebuild) if (s.ready) this.opts.reset(s);
  }
}
