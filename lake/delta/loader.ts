/**
 * Building snapshots from the log: the newest checkpoint at or below the wanted version, then
 * the JSON commits after it. Refreshing an open snapshot reads only the commits that are new.
 */
import path from 'node:path';
import type { Action } from './actions.ts';
import { readCheckpoint } from './checkpoint.ts';
import { checksumMismatch } from './checksum.ts';
import { CorruptLogError } from './corrupt-log.ts';
import { checksumFileName, versionFileName, type LogStore } from './log-store.ts';
import { SnapshotState, type Snapshot } from './snapshot.ts';

export class TableNotFoundError extends Error {
  constructor(readonly tableDir: string) {
    super(`no Delta table at ${tableDir} (no _delta_log commits)`);
    this.name = 'TableNotFoundError';
  }
}

export interface Commit {
  readonly version: number;
  readonly actions: Action[];
}

/** Loads the snapshot at `version` (default: the latest). */
export async function loadSnapshot(store: LogStore, version?: number): Promise<Snapshot> {
  let listing;
  try {
    listing = await store.list();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TableNotFoundError(store.tableDir);
    throw err;
  }
  const latest = Math.max(listing.commits.at(-1) ?? -1, listing.checkpoints.at(-1) ?? -1);
  if (latest < 0) throw new TableNotFoundError(store.tableDir);
  const target = version ?? latest;
  if (target > latest || target < 0) throw new RangeError(`version ${target} does not exist (latest is ${latest})`);

  const candidates = listing.checkpoints.filter((v) => v <= target).reverse();
  let state: SnapshotState | undefined;
  for (const cp of candidates) {
    try {
      const s = new SnapshotState();
      s.apply(await readCheckpoint(store.checkpointPath(cp)));
      s.version = cp;
      const cpCommit = await store.readCommit(cp);
      s.timestamp = commitTimestamp(cpCommit ?? []) ?? (await store.commitMtime(cp)) ?? 0;
      state = s;
      break;
    } catch {
      // A damaged or foreign (multi-part, v2) checkpoint: fall back to an older one or the log.
    }
  }
  state ??= new SnapshotState();
  const commits = new Set(listing.commits);
  for (let v = state.version + 1; v <= target; v++) {
    if (!commits.has(v)) throw new CorruptLogError(store.tableDir, v, path.join(store.logDir, versionFileName(v)), 'the commit is missing and no checkpoint covers it');
  }
  await replay(store, state, state.version + 1, target);
  return verified(store, state.freeze());
}

/** Reads commits from `from` on until the first missing version (the current end of the log). */
export async function readCommitsFrom(store: LogStore, from: number): Promise<Commit[]> {
  const out: Commit[] = [];
  for (let v = from; ; v++) {
    const actions = await store.readCommit(v);
    if (!actions) return out;
    out.push({ version: v, actions });
  }
}

/** Applies new commits to a snapshot, yielding a newer one (the old one is left untouched). */
export async function advanceSnapshot(store: LogStore, snapshot: Snapshot, commits: readonly Commit[]): Promise<Snapshot> {
  if (commits.length === 0) return snapshot;
  const state = new SnapshotState(snapshot);
  for (const c of commits) state.applyCommit(c.version, c.actions, commitTimestamp(c.actions) ?? (await store.commitMtime(c.version)) ?? Date.now());
  return verified(store, state.freeze());
}

/**
 * The snapshot, once it agrees with the checksum its version's writer recorded (when there is
 * one): a commit that lost lines shows up here as missing files, bytes or stream positions.
 */
async function verified(store: LogStore, snapshot: Snapshot): Promise<Snapshot> {
  const recorded = await store.readChecksum(snapshot.version);
  if (!recorded) return snapshot;
  const why = checksumMismatch(snapshot, recorded);
  if (why) throw new CorruptLogError(store.tableDir, snapshot.version, path.join(store.logDir, checksumFileName(snapshot.version)), why);
  return snapshot;
}

async function replay(store: LogStore, state: SnapshotState, from: number, to: number): Promise<void> {
  const BATCH = 64;
  for (let start = from; start <= to; start += BATCH) {
    const versions = Array.from({ length: Math.min(BATCH, to - start + 1) }, (_, i) => start + i);
    const batch = await Promise.all(versions.map((v) => store.readCommit(v)));
    for (let i = 0; i < versions.length; i++) {
      const actions = batch[i];
      if (!actions) throw new Error(`${store.logDir}: commit ${versions[i]} disappeared while reading`);
      state.applyCommit(versions[i], actions, commitTimestamp(actions) ?? (await store.commitMtime(versions[i])) ?? 0);
    }
  }
}

export function commitTimestamp(actions: readonly Action[]): number | undefined {
  for (const a of actions) if ('commitInfo' in a && typeof a.commitInfo.timestamp === 'number') return a.commitInfo.timestamp;
  return undefined;
}
