/**
 * Keeps candle revisions strictly ordered when a backfill rewrites a partition the stream writes.
 *
 * The stream numbers a candle's revisions from its own memory (the operator's last emitted
 * revision + 1). A backfill in mode `all` replaces a partition's candles with revision = the
 * highest it replaced + 1, and in mode `missing` adds revision 0 where silver had none; either
 * can equal the stream's next number for the same candle, and two rows sharing a candle's top
 * revision make `silver_candles` pick one arbitrarily. The rule: a backfill wins over what it
 * replaced (its own numbering does that), and a later stream revision wins over the backfill.
 *
 * A backfill's commit records a `txn` per partition (backfillTxnAppId). When the snapshot a candle
 * commit is made against shows a backfill txn for a partition that this writer has not seen yet,
 * the partition's highest revision per candle is read from the lake once (a "floor"); every
 * candle committed to that partition afterwards gets a revision above its floor, and the floor
 * follows this writer's own commits. Partitions no backfill touched cost nothing.
 *
 * A backfill commit can also land between the snapshot a commit was numbered against and the
 * commit itself (it did not see our rows, and we did not see its). The writer then compares the
 * snapshot just before its own commit and re-commits the candles that the backfill's revision
 * reached (`raced`), above it.
 */
import type { CandleEvent } from '../../common/events/index.ts';
import { backfillTxnAppId, filesSelectSql, sqlLiteral, utcDateOf, withLakeConnection, type DeltaTable, type Snapshot } from '../../lake/index.ts';

interface PartitionFloors {
  /** The backfill txn version these floors were read at. */
  readonly txn: number;
  /** `interval:windowStartUs` → the highest revision silver holds (or this writer committed). */
  readonly floors: Map<string, number>;
}

const candleKey = (c: Pick<CandleEvent, 'interval' | 'windowStartUs'>) => `${c.interval}:${c.windowStartUs}`;
const partitionOf = (c: Pick<CandleEvent, 'exchange' | 'symbol' | 'windowStartUs'>) => ({ exchange: c.exchange, symbol: c.symbol, day: utcDateOf(c.windowStartUs) });
const partitionId = (p: { exchange: string; symbol: string; day: string }) => `${p.exchange}:${p.symbol}:${p.day}`;

/** Partitions kept (a day's floors are needed while the stream still revises that day: its late-trade horizon is hours). */
const MAX_PARTITIONS = 256;

export class BackfillRevisionFloors {
  private readonly partitions = new Map<string, PartitionFloors>();

  /** The candles, each revision raised above its partition's floor where a backfill rewrote the partition (as of `snap`). */
  async renumber(table: DeltaTable, snap: Snapshot, candles: readonly CandleEvent[]): Promise<CandleEvent[]> {
    const floors = await this.floorsFor(table, snap, candles);
    if (floors.size === 0) return [...candles];
    return candles.map((c) => {
      const f = floors.get(partitionId(partitionOf(c)))?.floors.get(candleKey(c));
      return f !== undefined && f >= c.revision ? { ...c, revision: f + 1 } : c;
    });
  }

  /** Records what this writer committed (its revisions become the floors of later commits). */
  noteCommitted(candles: readonly CandleEvent[]): void {
    for (const c of candles) {
      const p = this.partitions.get(partitionId(partitionOf(c)));
      if (p && (p.floors.get(candleKey(c)) ?? -1) < c.revision) p.floors.set(candleKey(c), c.revision);
    }
  }

  /**
   * After a commit at `committedVersion` numbered against `numberedAt`: the candles a backfill
   * commit in between reached (its revision of the candle ≥ ours), raised above it, to commit again.
   */
  async raced(table: DeltaTable, numberedAt: Snapshot, committedVersion: number, committed: readonly CandleEvent[]): Promise<CandleEvent[]> {
    if (committedVersion <= numberedAt.version + 1) return [];
    const movedSince = (snap: Snapshot) =>
      committed.filter((c) => {
        const p = partitionOf(c);
        const appId = backfillTxnAppId(p.exchange, p.symbol, p.day);
        return snap.txnVersion(appId) !== numberedAt.txnVersion(appId);
      });
    // Usually the commits in between are other writers' appends: the latest snapshot (read
    // incrementally) shows no new backfill txn for our partitions, and nothing more is read.
    if (movedSince(await table.refresh()).length === 0) return [];
    const before = await table.snapshotAt(committedVersion - 1);
    const changed = movedSince(before);
    if (changed.length === 0) return [];
    // Floors as the backfill left them (without our commit), then ours on top for what follows.
    const raised = await this.renumber(table, before, changed);
    this.noteCommitted(committed);
    return raised.filter((c, i) => c.revision !== changed[i].revision);
  }

  private async floorsFor(table: DeltaTable, snap: Snapshot, candles: readonly CandleEvent[]): Promise<Map<string, PartitionFloors>> {
    const out = new Map<string, PartitionFloors>();
    const toLoad: { id: string; exchange: string; symbol: string; day: string; txn: number }[] = [];
    const looked = new Set<string>();
    for (const c of candles) {
      const p = partitionOf(c);
      const id = partitionId(p);
      if (looked.has(id)) continue;
      looked.add(id);
      const txn = snap.txnVersion(backfillTxnAppId(p.exchange, p.symbol, p.day));
      if (txn === undefined) continue; // no backfill ever wrote it: the stream's own numbering is the only one
      const known = this.partitions.get(id);
      if (known && known.txn === txn) out.set(id, known);
      else toLoad.push({ id, ...p, txn });
    }
    if (toLoad.length > 0) {
      await withLakeConnection(async (conn) => {
        for (const l of toLoad) {
          const files = snap.addFiles().filter((f) => f.partitionValues.symbol === l.symbol && f.partitionValues.date === l.day);
          const floors = new Map<string, number>();
          if (files.length > 0) {
            const reader = await conn.runAndReadAll(`SELECT "interval", epoch_us(window_start) AS ws, max(revision) AS rev FROM (${filesSelectSql(table.dir, snap, files)})
              WHERE exchange = ${sqlLiteral(l.exchange)} GROUP BY ALL`);
            for (const [interval, ws, rev] of reader.getRows()) floors.set(`${interval}:${Number(ws)}`, Number(rev));
          }
          const entry = { txn: l.txn, floors };
          this.partitions.delete(l.id);
          this.partitions.set(l.id, entry);
          out.set(l.id, entry);
        }
      });
      // The oldest partitions first out (Map order is insertion order; a reload re-inserts).
      for (const id of this.partitions.keys()) {
        if (this.partitions.size <= MAX_PARTITIONS) break;
        this.partitions.delete(id);
      }
    }
    return out;
  }
}
