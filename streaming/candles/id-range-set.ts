/**
 * The set of trade ids already counted for one symbol, as sorted disjoint ranges. Exchange trade
 * ids are (nearly) contiguous per symbol, so an in-order stream is one range that grows at its
 * end in O(1); out-of-order and duplicated trades cost a binary search. Memory is proportional to
 * the number of gaps, not of trades, which is what lets dedup cover hours of a busy symbol.
 */
export class IdRangeSet {
  /** [start0, end0, start1, end1, ...], inclusive, sorted, disjoint and non-adjacent. */
  private ranges: number[] = [];
  /** Ids below this were forgotten (retention); membership there is unknown. */
  private floor = -Infinity;

  /** Adds `id`; returns false when it was already present. */
  add(id: number): boolean {
    const r = this.ranges;
    const n = r.length;
    if (n === 0) {
      r.push(id, id);
      return true;
    }
    const lastEnd = r[n - 1];
    if (id === lastEnd + 1) {
      r[n - 1] = id;
      return true;
    }
    if (id > lastEnd) {
      r.push(id, id);
      return true;
    }
    return this.addSlow(id);
  }

  has(id: number): boolean {
    const i = this.rangeIndexAtOrBefore(id);
    return i >= 0 && id <= this.ranges[i + 1];
  }

  /** True when `id` is below the retention floor, i.e. the set can no longer tell. */
  isForgotten(id: number): boolean {
    return id < this.floor;
  }

  /** Forgets every id below `minId` (keeps memory bounded to the retention horizon). */
  forgetBelow(minId: number): void {
    if (minId <= this.floor) return;
    this.floor = minId;
    const r = this.ranges;
    let drop = 0;
    while (drop < r.length && r[drop + 1] < minId) drop += 2;
    if (drop > 0) r.splice(0, drop);
    if (r.length > 0 && r[0] < minId) r[0] = minId;
  }

  get rangeCount(): number {
    return this.ranges.length / 2;
  }

  /** Index (even) of the last range whose start ≤ id, or −2. */
  private rangeIndexAtOrBefore(id: number): number {
    const r = this.ranges;
    let lo = 0;
    let hi = r.length / 2 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid * 2] <= id) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found * 2;
  }

  private addSlow(id: number): boolean {
    const r = this.ranges;
    const i = this.rangeIndexAtOrBefore(id);
    if (i >= 0 && id <= r[i + 1]) return false;
    const touchesPrev = i >= 0 && r[i + 1] === id - 1;
    const next = i + 2; // index of the following range (exists: id < last end)
    const touchesNext = next < r.length && r[next] === id + 1;
    if (touchesPrev && touchesNext) {
      r[i + 1] = r[next + 1];
      r.splice(next, 2);
    } else if (touchesPrev) {
      r[i + 1] = id;
    } else if (touchesNext) {
      r[next] = id;
    } else {
      r.splice(next, 0, id, id);
    }
    return true;
  }
}
