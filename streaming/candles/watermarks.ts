/**
 * Event-time progress. Each Kafka partition has its own watermark (the largest event time seen
 * minus the out-of-orderness bound); the operator's watermark is the minimum over the partitions
 * that are active, so a quiet partition (no events for `idleTimeoutMs` of processing time) does
 * not hold every symbol's candles back. It never moves backwards.
 *
 * When every partition has been idle for `idleAdvanceMs`, event time moves on with processing
 * time (the largest partition's max event time + the time since that partition's last event), as
 * Flink's `withIdleness` lets an idle source stop holding time back: otherwise a replayed day's
 * last windows would stay open until newer trades arrive, possibly never. A trade that comes
 * later is late and revises its candle as any late trade does.
 */
/** Default of `idleAdvanceMs`. */
export const DEFAULT_IDLE_ADVANCE_MS = 10_000;

export class Watermarks {
  private readonly partitions = new Map<number, { maxEventUs: number; lastSeenMs: number }>();
  private current = Number.NEGATIVE_INFINITY;
  /** The partition of the previous event (events come in per-partition batches). */
  private last: { maxEventUs: number; lastSeenMs: number } | undefined;
  private lastPartition = -1;

  constructor(
    private readonly boundUs: number,
    private readonly idleTimeoutMs: number,
    private readonly idleAdvanceMs: number = DEFAULT_IDLE_ADVANCE_MS,
  ) {}

  observe(partition: number, eventUs: number, nowMs: number): void {
    let p = this.last;
    if (p === undefined || this.lastPartition !== partition) {
      p = this.partitions.get(partition);
      if (p === undefined) {
        p = { maxEventUs: eventUs, lastSeenMs: nowMs };
        this.partitions.set(partition, p);
      }
      this.last = p;
      this.lastPartition = partition;
    }
    if (eventUs > p.maxEventUs) p.maxEventUs = eventUs;
    p.lastSeenMs = nowMs;
  }

  /** Recomputes and returns the global watermark (epoch µs; −Infinity before any event). */
  advance(nowMs: number): number {
    let activeMin = Number.POSITIVE_INFINITY;
    let anyActive = false;
    let allMax = Number.NEGATIVE_INFINITY;
    let lastSeenMs = Number.NEGATIVE_INFINITY;
    let latestEventUs = Number.NEGATIVE_INFINITY;
    for (const p of this.partitions.values()) {
      const wm = p.maxEventUs - this.boundUs;
      if (wm > allMax) allMax = wm;
      if (p.lastSeenMs > lastSeenMs) lastSeenMs = p.lastSeenMs;
      if (p.maxEventUs > latestEventUs) latestEventUs = p.maxEventUs;
      if (nowMs - p.lastSeenMs < this.idleTimeoutMs) {
        anyActive = true;
        if (wm < activeMin) activeMin = wm;
      }
    }
    // When every partition is idle there is nothing left to wait for: the largest one counts,
    // and after idleAdvanceMs without any event, processing time moves it on.
    let candidate = anyActive ? activeMin : allMax;
    const silentMs = nowMs - lastSeenMs;
    if (!anyActive && silentMs >= this.idleAdvanceMs) candidate = Math.max(candidate, latestEventUs + silentMs * 1000);
    if (candidate > this.current) this.current = candidate;
    return this.current;
  }

  get value(): number {
    return this.current;
  }

  partitionWatermark(partition: number): number | undefined {
    const p = this.partitions.get(partition);
    return p === undefined ? undefined : p.maxEventUs - this.boundUs;
  }

  /** Per-partition watermarks (for metrics: watermark delay per partition). */
  entries(): Array<{ partition: number; watermarkUs: number; lastSeenMs: number }> {
    return [...this.partitions].map(([partition, p]) => ({ partition, watermarkUs: p.maxEventUs - this.boundUs, lastSeenMs: p.lastSeenMs }));
  }

  drop(partition: number): void {
    this.partitions.delete(partition);
    this.last = undefined;
    this.lastPartition = -1;
  }
}
