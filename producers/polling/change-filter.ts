/**
 * "Publish what is new, not the same snapshot again": remembers the last fingerprint published
 * per key (a coin, an index reading, a news guid) and lets through only items whose fingerprint
 * differs. Memory is bounded: beyond `capacity` keys the least recently seen are forgotten (an
 * item that old coming back is published again: at least once, never silently lost).
 * Items count as published only after `commit`, so a failed publish is retried next poll.
 */
export class ChangeFilter<T> {
  private readonly last = new Map<string, string>();

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly fingerprintOf: (item: T) => string,
    readonly capacity = 10_000,
  ) {
    if (capacity < 1) throw new RangeError('capacity must be at least 1');
  }

  /** The items whose key is unknown or whose fingerprint changed since it was committed. */
  changed(items: readonly T[]): T[] {
    const out: T[] = [];
    for (const item of items) {
      const key = this.keyOf(item);
      const fp = this.last.get(key);
      if (fp === undefined || fp !== this.fingerprintOf(item)) out.push(item);
      else this.touch(key, fp);
    }
    return out;
  }

  /** Records that `item` was published. */
  commit(item: T): void {
    this.touch(this.keyOf(item), this.fingerprintOf(item));
  }

  has(key: string): boolean {
    return this.last.has(key);
  }

  get size(): number {
    return this.last.size;
  }

  /** Key → fingerprint, least recently seen first (for persistence). */
  entries(): [string, string][] {
    return [...this.last.entries()];
  }

  /** Restores entries saved by `entries()`. */
  load(entries: Iterable<readonly [string, string]>): void {
    for (const [k, v] of entries) this.touch(k, v);
  }

  private touch(key: string, fingerprint: string): void {
    this.last.delete(key);
    this.last.set(key, fingerprint);
    while (this.last.size > this.capacity) {
      const oldest = this.last.keys().next().value as string;
      this.last.delete(oldest);
    }
  }
}
