/**
 * Writing candles to silver/candles, fenced per trades partition.
 *
 * Before it reads silver, the new owner of a trades partition claims it: a commit with only a
 * Delta `txn` (appId `stream:<group>:silver:<topic>:<partition>`, version = the previous owner's
 * epoch + 1; ownership-claims.ts). Every candle commit re-asserts its owner's epoch and drops the
 * candles of partitions whose epoch moved on, so the previous owner's in-flight flush can never
 * land a candle the new owner's recovery did not see (two writers of the same revision).
 *
 * Where a backfill rewrote a partition, the candles' revisions are raised above the backfill's
 * before the commit, and again after it if a backfill commit landed in between
 * (backfill-revisions.ts): a later stream revision always wins, never ties.
 */
import type { Logger } from 'pino';
import type { CandleEvent } from '../../common/events/index.ts';
import { candleEventToRow, ConcurrentModificationError, type Lake } from '../../lake/index.ts';
import type { CandleOperator } from '../candles/candle-operator.ts';
import { BackfillRevisionFloors } from './backfill-revisions.ts';
import { claimOwnership, MAX_FENCED_ATTEMPTS } from './ownership-claims.ts';
import type { PartitionState } from './partition-state.ts';
import type { StreamMetrics } from './stream-metrics.ts';

/** A candle with the trades partition it belongs to and that partition's ownership epoch when it was computed. */
export interface OwnedCandle {
  readonly candle: CandleEvent;
  readonly state: PartitionState | undefined;
  readonly epoch: number | undefined;
}

export interface SilverWriterOptions {
  readonly lake: Lake;
  readonly operator: CandleOperator;
  readonly logger: Logger;
  readonly metrics?: StreamMetrics;
  /** The live state of a trades partition, if we hold it. */
  readonly tradesPartition: (partition: number) => PartitionState | undefined;
  /** Forgets a partition that another instance claimed. */
  readonly reset: (s: PartitionState) => void;
}

export class SilverWriter {
  private readonly floors = new BackfillRevisionFloors();

  constructor(private readonly opts: SilverWriterOptions) {}

  /** Claims trades partitions in silver/candles (see the header and ownership-claims.ts). */
  async claim(states: readonly PartitionState[]): Promise<void> {
    const epochs = await claimOwnership(await this.opts.lake.table('silver/candles'), states.map((s) => s.silverAppId));
    states.forEach((s, i) => (s.silverEpoch = epochs[i]));
  }

  /** Pairs candles with their partition and its current epoch (synchronously, before any await). */
  owned(candles: readonly CandleEvent[]): OwnedCandle[] {
    return candles.map((candle) => {
      const p = this.opts.operator.partitionOf(candle.exchange, candle.symbol);
      const state = p === undefined ? undefined : this.opts.tradesPartition(p);
      return { candle, state, epoch: state?.ready ? state.silverEpoch : undefined };
    });
  }

  /**
   * Appends candles to silver in one commit that re-asserts each partition's epoch (a concurrent
   * claim of one of them makes the commit conflict). Candles of partitions claimed since they
   * were computed are dropped (their new owner recomputes them from bronze); returns the rest.
   */
  async commit(items: readonly OwnedCandle[]): Promise<CandleEvent[]> {
    const silver = await this.opts.lake.table('silver/candles');
    let pending = items;
    for (let attempt = 1; ; attempt++) {
      const snap = await silver.refresh();
      const marks = new Map<string, number>();
      const lost = new Map<PartitionState | undefined, number | undefined>();
      pending = pending.filter((it) => {
        const recorded = it.state === undefined ? undefined : snap.txnVersion(it.state.silverAppId);
        if (it.state === undefined || it.epoch === undefined || recorded !== it.epoch) {
          lost.set(it.state, recorded);
          return false;
        }
        marks.set(it.state.silverAppId, it.epoch);
        return true;
      });
      for (const [state, recorded] of lost) {
        this.opts.logger.warn({ appId: state?.silverAppId, recorded }, 'lost ownership of a partition; dropping its candles');
        this.opts.metrics?.commitFailures.inc({ table: 'silver/candles', reason: 'fenced' });
        // Claimed by someone else (a re-claim of our own moves our epoch to the recorded one first).
        if (state !== undefined && state.ready && state.silverEpoch !== recorded) this.opts.reset(state);
      }
      if (pending.length === 0) return [];
      // Above what a backfill wrote to these candles' partitions (backfill-revisions.ts).
      const candles = await this.floors.renumber(silver, snap, pending.map((it) => it.candle));
      try {
        const { version } = await silver.append(candles.map(candleEventToRow), { txn: [...marks].map(([appId, version]) => ({ appId, version })) });
        this.floors.noteCommitted(candles);
        const raced = await this.floors.raced(silver, snap, version, candles);
        if (raced.length === 0) return candles;
        this.opts.logger.info({ candles: raced.length }, 'a backfill committed to the same candles while this commit was made: committing them again above its revision');
        const byCandle = new Map(pending.map((it) => [`${it.candle.exchange}:${it.candle.symbol}:${it.candle.interval}:${it.candle.windowStartUs}`, it]));
        const again = await this.commit(raced.map((c) => ({ ...byCandle.get(`${c.exchange}:${c.symbol}:${c.interval}:${c.windowStartUs}`)!, candle: c })));
        return [...candles, ...again];
      } catch (err) {
        if (err instanceof ConcurrentModificationError && attempt < MAX_FENCED_ATTEMPTS) continue;
        throw err;
      }
    }
  }
}
