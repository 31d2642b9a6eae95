/**
 * The news items already published, by `<feed>\0<guid>`: bounded (least recently seen forgotten
 * first) and optionally saved to a small JSON file, written atomically (temp file + rename), so
 * that a restart does not republish the whole feed. Without the file delivery is at least once.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../common/logger.ts';
import { ChangeFilter } from '../polling/change-filter.ts';

interface SavedState {
  v: 1;
  /** Oldest first. */
  seen: string[];
}

export class SeenItems {
  private readonly filter: ChangeFilter<string>;
  private dirty = false;

  constructor(
    capacity: number,
    private readonly file: string | undefined,
    private readonly logger: Logger,
  ) {
    this.filter = new ChangeFilter<string>((k) => k, () => '', capacity);
    if (file) this.load(file);
  }

  static key(feed: string, guid: string): string {
    return `${feed}\u0000${guid}`;
  }

  has(feed: string, guid: string): boolean {
    return this.filter.has(SeenItems.key(feed, guid));
  }

  /** Marks an item as published (call after the sink accepted it). */
  add(feed: string, guid: string): void {
    this.filter.commit(SeenItems.key(feed, guid));
    this.dirty = true;
  }

  /** Refreshes recency of items still in the feed, so the bound forgets stale ones first. */
  touch(feed: string, guid: string): void {
    this.filter.changed([SeenItems.key(feed, guid)]);
  }

  get size(): number {
    return this.filter.size;
  }

  /** Writes the file if anything was added since the last save. */
  save(): void {
    if (!this.file || !this.dirty) return;
    const state: SavedState = { v: 1, seen: this.filter.entries().map(([k]) => k) };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state));
    fs.renameSync(tmp, this.file);
    this.dirty = false;
  }

  private load(file: string): void {
    if (!fs.existsSync(file)) return;
    try {
      const state = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedState;
      if (state.v !== 1 || !Array.isArray(state.seen)) throw new Error('unknown format');
      this.filter.load(state.seen.filter((k) => typeof k === 'string').map((k) => [k, ''] as const));
      this.logger.info({ file, items: this.filter.size }, 'loaded seen news items');
    } catch (err) {
      // A damaged file must not stop the poller: start empty and republish (at least once).
      this.logger.warn({ file, err: (err as Error).message }, 'could not read the seen-items file; starting empty');
    }
  }
}
