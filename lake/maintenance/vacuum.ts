/**
 * vacuum: deletes data files that the current snapshot does not reference and that are older
 * than the retention period: files removed by past commits (their removal time counts) and
 * files no commit ever referenced (left by a writer that crashed between writing a data file and
 * committing it; their modification time counts). Never a file of the current snapshot, never
 * the log. Old versions whose files are gone can no longer be read (time travel is bounded by
 * the retention), and a writer's not-yet-committed file is protected only by the retention: keep
 * it well above the longest write (the default is 7 days, like Delta's).
 *
 * It also removes the temporary files a crashed writer leaves in `_delta_log/` (`.tmp-*`: a
 * commit, checksum or checkpoint written but never renamed into place), once they are older than
 * the retention and at least LOG_TEMP_FILE_MIN_AGE_MS: a live writer's temporary file exists for
 * milliseconds to seconds, so even a zero retention never takes one from under it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { LOG_DIR, TEMP_FILE_PREFIX } from '../delta/log-store.ts';
import type { DeltaTable } from '../table.ts';

export const DEFAULT_VACUUM_RETENTION_HOURS = 7 * 24;
/** Log temporary files younger than this are never removed (see above). */
export const LOG_TEMP_FILE_MIN_AGE_MS = 10 * 60_000;

export interface VacuumOptions {
  /** Default 168 (7 days). */
  readonly retentionHours?: number;
  /** List what would be deleted without deleting. */
  readonly dryRun?: boolean;
  /** Clock, for tests. */
  readonly now?: number;
}

export interface VacuumResult {
  /** Paths relative to the table directory. */
  readonly deleted: string[];
  readonly bytes: number;
  readonly dryRun: boolean;
  /** The version whose files were kept. */
  readonly version: number;
}

export async function vacuum(table: DeltaTable, options: VacuumOptions = {}): Promise<VacuumResult> {
  const retentionMs = (options.retentionHours ?? DEFAULT_VACUUM_RETENTION_HOURS) * 3_600_000;
  if (!(retentionMs >= 0)) throw new RangeError('retentionHours must be >= 0');
  // List first, then read the snapshot: a file committed in between is then live, and a file
  // written after the listing is not considered at all.
  const files = await listDataFiles(table.dir);
  const snapshot = await table.refresh();
  const cutoff = (options.now ?? Date.now()) - retentionMs;
  const live = new Set([...snapshot.files.keys()].map((p) => decodeURIComponent(p)));
  const removedAt = new Map([...snapshot.tombstones.values()].map((r) => [decodeURIComponent(r.path), r.deletionTimestamp ?? 0]));
  const deleted: string[] = [];
  let bytes = 0;
  for (const f of files) {
    if (live.has(f.rel)) continue;
    const lastUsed = Math.max(f.mtimeMs, removedAt.get(f.rel) ?? 0);
    if (lastUsed >= cutoff) continue;
    deleted.push(f.rel);
    bytes += f.size;
    if (!options.dryRun) await fs.rm(path.join(table.dir, f.rel), { force: true });
  }
  const now = options.now ?? Date.now();
  for (const f of await listLogTempFiles(table.dir)) {
    if (f.mtimeMs >= Math.min(cutoff, now - LOG_TEMP_FILE_MIN_AGE_MS)) continue;
    deleted.push(f.rel);
    bytes += f.size;
    if (!options.dryRun) await fs.rm(path.join(table.dir, f.rel), { force: true });
  }
  if (!options.dryRun) await removeEmptyDirs(table.dir, true, cutoff);
  return { deleted, bytes, dryRun: options.dryRun ?? false, version: snapshot.version };
}

interface DataFile {
  rel: string;
  size: number;
  mtimeMs: number;
}

/** The `.tmp-*` files in `_delta_log/`. */
async function listLogTempFiles(root: string): Promise<DataFile[]> {
  const dir = path.join(root, LOG_DIR);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const out: DataFile[] = [];
  for (const name of names) {
    if (!name.startsWith(TEMP_FILE_PREFIX)) continue;
    const st = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (st?.isFile()) out.push({ rel: `${LOG_DIR}/${name}`, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}

/** Every file under the table directory except the log and hidden (`.`/`_`-prefixed) entries. */
async function listDataFiles(root: string): Promise<DataFile[]> {
  const out: DataFile[] = [];
  const walk = async (dir: string, rel: string) => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      if (e.name === LOG_DIR || e.name.startsWith('.') || (e.name.startsWith('_') && !e.name.includes('='))) continue;
      const abs = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(abs, r);
      else if (e.isFile()) {
        try {
          const st = await fs.stat(abs);
          out.push({ rel: r, size: st.size, mtimeMs: st.mtimeMs });
        } catch {
          // Deleted meanwhile (another vacuum): nothing to do.
        }
      }
    }
  };
  await walk(root, '');
  return out;
}

async function removeEmptyDirs(dir: string, isRoot: boolean, cutoff: number): Promise<boolean> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const e of entries) {
    if (e.isDirectory() && e.name !== LOG_DIR && e.name.includes('=')) {
      if (!(await removeEmptyDirs(path.join(dir, e.name), false, cutoff))) empty = false;
    } else empty = false;
  }
  if (empty && !isRoot) {
    // A directory a writer created moments ago may be about to receive its file: leave young ones.
    const st = await fs.stat(dir).catch(() => undefined);
    if (!st || st.mtimeMs >= cutoff) return false;
    await fs.rmdir(dir).catch(() => undefined);
    return true;
  }
  return false;
}
