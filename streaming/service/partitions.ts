/**
 * The life of a topic-partition in this consumer, the first step a batch goes through:
 *   assigned (GROUP_JOIN, or its first batch) → resumed from the lake (`resume`: bronze's
 *   recorded offset; for trades partitions the silver claim and the candle operator's state) →
 *   buffering (`onBatch` pushes the validated message bytes) → flushed (`takeFlushUnits` hands the
 *   buffers to the bronze commit) → and, when it is fenced, repaired or revoked, reset or dropped
 *   (its uncommitted work forgotten; the next batch resumes it from the lake again).
 */
import type { Logger } from 'pino';
import { JsonEventsBuilder, type Lake, type LakeQueryEngine } from '../../lake/index.ts';
import type { CandleOperator } from '../candles/candle-operator.ts';
import type { FlushUnit, InputSpec, PartitionState } from './partition-state.ts';
import { recoverOperatorState } from './recovery.ts';
import type { Repair } from './too-late.ts';
import type { SilverWriter } from './silver-writer.ts';
import type { StreamMetrics } from './stream-metrics.ts';

export interface PartitionsOptions {
  readonly groupId: string;
  readonly inputs: ReadonlyMap<string, InputSpec>;
  readonly lake: Lake;
  readonly operator: CandleOperator;
  readonly silver: SilverWriter;
  readonly logger: Logger;
  readonly metrics?: StreamMetrics;
  readonly retentionMs: number;
  /**
   * Recovery reconciles silver with bronze only in the partitions written within this long before
   * the resumed partitions' last bronze commit (STREAM_RECONCILE_LOOKBACK_HOURS; recovery.ts).
   */
  readonly reconcileLookbackMs: number;
  /** Recovery found bronze trades below the retained range that silver does not account for. */
  readonly onUnreconciled: (repair: Repair) => void;
}

export class Partitions {
  private readonly states = new Map<string, PartitionState>();
  private assignment = new Map<string, Set<number>>();
  /** Events buffered for bronze over every partition (the flush trigger by size). */
  bufferedRows = 0;
  /** When the oldest buffered event arrived (the flush trigger by time). */
  bufferSince: number | undefined;
  /** Partitions of the trades topic (recovery maps symbols to partitions with it). */
  tradesPartitions = 0;

  constructor(private readonly opts: PartitionsOptions) {}

  get size(): number {
    return this.states.size;
  }

  /** A new generation of the group: forget partitions we lost (their buffers were never committed). */
  assign(assignment: Record<string, number[]>): void {
    this.assignment = new Map(Object.entries(assignment).map(([t, ps]) => [t, new Set(ps)]));
    for (const [k, s] of this.states) {
      if (this.assignment.get(s.input.topic)?.has(s.partition)) continue;
      this.bufferedRows -= s.rows.length;
      this.states.delete(k);
      if (s.input.kind === 'trades') this.opts.operator.dropPartition(s.partition);
      this.opts.metrics?.symbols.set(this.opts.operator.symbolCount);
    }
    this.opts.logger.info({ assignment }, 'partitions assigned');
  }

  /** A batch can arrive before GROUP_JOIN was handled; the assignment evidently includes it. */
  noteBatch(topic: string, partition: number): void {
    const parts = this.assignment.get(topic) ?? new Set<number>();
    parts.add(partition);
    this.assignment.set(topic, parts);
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.states.get(key(topic, partition));
  }

  /** True while `s` is still the live state of its partition (not dropped or replaced). */
  isCurrent(s: PartitionState): boolean {
    return this.states.get(key(s.input.topic, s.partition)) === s;
  }

  stateFor(topic: string, partition: number): PartitionState {
    const k = key(topic, partition);
    let s = this.states.get(k);
    if (s === undefined) {
      const input = this.opts.inputs.get(topic)!;
      s = {
        input,
        partition,
        appId: `stream:${this.opts.groupId}:${topic}:${partition}`,
        silverAppId: `stream:${this.opts.groupId}:silver:${topic}:${partition}`,
        silverEpoch: undefined,
        committed: undefined,
        next: undefined,
        rows: new JsonEventsBuilder(input.event),
        tooLate: [],
        ready: false,
        seeked: false,
      };
      this.states.set(k, s);
    }
    return s;
  }

  /** True when some live partition waits to be resumed from the lake. */
  anyNotReady(): boolean {
    for (const s of this.states.values()) if (!s.ready) return true;
    return false;
  }

  /**
   * Resumes every assigned partition that is not ready: bronze's recorded offsets, and for trades
   * partitions the silver claim and the operator's state rebuilt from the lake (recovery.ts).
   * `heartbeat` keeps the group membership alive meanwhile. Returns the partitions it resumed.
   */
  async resume(engine: LakeQueryEngine, heartbeat: () => Promise<void>, recovering: (on: boolean) => void): Promise<PartitionState[]> {
    const pending: PartitionState[] = [];
    for (const [topic, parts] of this.assignment) {
      if (!this.opts.inputs.has(topic)) continue;
      for (const p of parts) {
        const s = this.stateFor(topic, p);
        if (!s.ready) pending.push(s);
      }
    }
    if (pending.length === 0) return pending;
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 2000);
    recovering(true);
    // Logged before the work, so that an operator (and a test) sees a recovery begin, not only end.
    this.opts.logger.info({ partitions: pending.map((s) => `${s.input.topic}:${s.partition}`) }, 'resuming from the lake');
    try {
      const t0 = Date.now();
      // The earliest of the resumed trades partitions' last bronze commits (by any owner, from its
      // position's `txn`): a repair a previous owner lost was lost after its trades were committed,
      // so they were written at most the look-back before it (also after a long outage).
      let lastCommitMs = t0;
      for (const table of new Set(pending.map((s) => s.input.table))) {
        const snap = await (await this.opts.lake.table(table)).refresh();
        for (const s of pending.filter((x) => x.input.table === table)) {
          const updated = snap.txns.get(s.appId)?.lastUpdated;
          if (s.input.kind === 'trades' && typeof updated === 'number') lastCommitMs = Math.min(lastCommitMs, updated);
          s.committed = snap.txnVersion(s.appId);
          s.next = s.committed;
          s.rows = new JsonEventsBuilder(s.input.event);
          s.tooLate = [];
          s.seeked = false;
        }
      }
      const tradeStates = pending.filter((s) => s.input.kind === 'trades');
      const tradeParts = tradeStates.map((s) => s.partition);
      let recovered: Awaited<ReturnType<typeof recoverOperatorState>> = { symbols: 0, trades: 0, restoredCandles: 0, unreconciled: [], reconciledPartitions: 0 };
      if (tradeParts.length > 0) {
        for (const p of tradeParts) this.opts.operator.dropPartition(p);
        // Claim first, read silver after: a candle commit of the previous owner either landed
        // before the claim (recovery sees it) or is fenced out.
        await this.opts.silver.claim(tradeStates);
        await engine.refresh();
        recovered = await recoverOperatorState({
          engine,
          operator: this.opts.operator,
          partitions: tradeParts,
          numPartitions: this.tradesPartitions,
          retentionMs: this.opts.retentionMs,
          nowMs: Date.now(),
          reconcileSinceMs: lastCommitMs - this.opts.reconcileLookbackMs,
        });
        for (const u of recovered.unreconciled) {
          const state = tradeStates.find((s) => s.partition === u.partition);
          if (state !== undefined) this.opts.onUnreconciled({ state, exchange: u.exchange, symbol: u.symbol, fromUs: u.fromUs, toUs: u.toUs });
        }
      }
      for (const s of pending) s.ready = true;
      this.opts.metrics?.recoveries.inc();
      this.opts.metrics?.symbols.set(this.opts.operator.symbolCount);
      this.opts.logger.info(
        { partitions: pending.map((s) => `${s.input.topic}:${s.partition}@${s.committed ?? 'start'}`), ...recovered, unreconciled: recovered.unreconciled.length, ms: Date.now() - t0 },
        'resumed from the lake',
      );
      return pending;
    } finally {
      clearInterval(beat);
      recovering(false);
    }
  }

  /**
   * Takes every ready partition's buffers at once (synchronously): each unit's rows are exactly
   * the events below its `next` offset. Consumption goes on into fresh buffers.
   */
  takeFlushUnits(): FlushUnit[] {
    const units: FlushUnit[] = [];
    for (const s of this.states.values()) {
      if (!s.ready || s.next === undefined || s.next === s.committed) continue;
      units.push({ s, rows: s.rows, tooLate: s.tooLate, next: s.next, expected: s.committed });
      this.bufferedRows -= s.rows.length;
      s.rows = new JsonEventsBuilder(s.input.event);
      s.tooLate = [];
    }
    if (this.bufferedRows < 0) this.bufferedRows = 0;
    this.bufferSince = undefined;
    return units;
  }

  /** Forgets a partition's uncommitted work and state; the next batch re-initialises it from the lake. */
  reset(s: PartitionState): void {
    this.bufferedRows -= s.rows.length;
    s.rows = new JsonEventsBuilder(s.input.event);
    s.ready = false;
    // The next batch of this partition re-reads the lake's offset and seeks there (onBatch).
    if (s.input.kind === 'trades') this.opts.operator.dropPartition(s.partition);
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
