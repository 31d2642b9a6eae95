/**
 * The publisher's bounded in-memory buffer: sources push, the sender takes batches from the
 * front. When it holds `maxItems` items or `maxBytes` bytes, `push` waits until the sender has
 * made room: this is how a slow or unreachable Kafka slows the source down instead of losing data.
 */

export interface Sized {
  readonly bytes: number;
}

export class BufferClosedError extends Error {
  constructor(message = 'the publisher is closed') {
    super(message);
    this.name = 'BufferClosedError';
  }
}

export class BoundedBuffer<T extends Sized> {
  private items: T[] = [];
  /** Index of the first live item: taking from the front is O(1), compaction is amortised. */
  private head = 0;
  private bytesHeld = 0;
  private readonly spaceWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private dataWaiter: (() => void) | undefined;
  private closedReason: Error | undefined;
  /** Total time pushers spent waiting for room, for metrics. */
  waitedMs = 0;
  waits = 0;

  constructor(
    readonly maxItems: number,
    readonly maxBytes: number,
  ) {
    if (maxItems < 1 || maxBytes < 1) throw new RangeError('buffer capacity must be at least 1 item and 1 byte');
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.bytesHeld;
  }

  private hasRoomFor(bytes: number): boolean {
    // An item larger than maxBytes still goes in when the buffer is empty, or it would wait forever.
    return this.size < this.maxItems && (this.bytesHeld + bytes <= this.maxBytes || this.size === 0);
  }

  /**
   * Adds an item now if there is room and no one is waiting ahead; false otherwise (then `push`
   * waits). The publisher's hot path: no promise per item while the buffer has room.
   */
  tryPush(item: T): boolean {
    if (this.closedReason) throw this.closedReason;
    if (this.spaceWaiters.length > 0 || !this.hasRoomFor(item.bytes)) return false;
    this.items.push(item);
    this.bytesHeld += item.bytes;
    this.wakeSender();
    return true;
  }

  /** Adds an item, waiting while the buffer is full and no one is waiting ahead (FIFO fairness). */
  async push(item: T): Promise<void> {
    if (this.tryPush(item)) return;
    const started = Date.now();
    this.waits += 1;
    do {
      await new Promise<void>((resolve, reject) => this.spaceWaiters.push({ resolve, reject }));
    } while (!this.hasRoomFor(item.bytes));
    this.waitedMs += Date.now() - started;
    if (this.closedReason) throw this.closedReason;
    this.items.push(item);
    this.bytesHeld += item.bytes;
    this.wakeSender();
    // Room may be left for the next waiter in line.
    if (this.spaceWaiters.length > 0 && this.hasRoomFor(0)) this.spaceWaiters.shift()!.resolve();
  }

  /** Puts items back at the front (a failed batch to retry), ahead of everything newer. */
  unshift(batch: readonly T[]): void {
    if (batch.length === 0) return;
    this.items = [...batch, ...this.items.slice(this.head)];
    this.head = 0;
    for (const item of batch) this.bytesHeld += item.bytes;
  }

  /** Removes up to `maxItems` / `maxBytes` from the front (at least one item when not empty). */
  take(maxItems: number, maxBytes: number): T[] {
    const out: T[] = [];
    let bytes = 0;
    while (this.head < this.items.length && out.length < maxItems) {
      const item = this.items[this.head];
      if (out.length > 0 && bytes + item.bytes > maxBytes) break;
      out.push(item);
      bytes += item.bytes;
      this.head += 1;
    }
    this.bytesHeld -= bytes;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.releaseSpaceWaiters();
    return out;
  }

  /** Removes and returns everything still held (for the final undelivered count). */
  drain(): T[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.bytesHeld = 0;
    return out;
  }

  /** Resolves when an item arrives or after `ms` (the sender's linger), whichever is first. */
  waitForData(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.dataWaiter = undefined;
        resolve();
      }, ms);
      this.dataWaiter = () => {
        clearTimeout(timer);
        this.dataWaiter = undefined;
        resolve();
      };
    });
  }

  /** Wakes the sender now (e.g. when closing, so it does not sit out its linger). */
  wakeSender(): void {
    this.dataWaiter?.();
  }

  /** Refuses new items; pushers still waiting get `reason`. */
  close(reason: Error = new BufferClosedError()): void {
    this.closedReason ??= reason;
    for (const waiter of this.spaceWaiters.splice(0)) waiter.reject(this.closedReason);
    this.wakeSender();
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  private releaseSpaceWaiters(): void {
    // Wake the first waiter; each one that gets in wakes the next while room remains.
    if (this.spaceWaiters.length > 0 && this.hasRoomFor(0)) this.spaceWaiters.shift()!.resolve();
  }
}
