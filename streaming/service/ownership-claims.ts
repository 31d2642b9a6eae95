/**
 * Ownership epochs in a Delta table (the streaming service's silver fencing, see
 * stream-service.ts): claiming appIds is one commit of `txn` actions, each the appId's recorded
 * version + 1. A writer that later re-asserts its own, older epoch for one of them conflicts or
 * finds the recorded epoch moved on, and must drop its work.
 */
import { ConcurrentModificationError, type DeltaTable } from '../../lake/index.ts';

/** Commits that meet a concurrent claim are re-checked and retried this often before giving up. */
export const MAX_FENCED_ATTEMPTS = 5;

/** Claims `appIds` in `table`; returns the new epoch of each. Retried when another claim lands at the same time. */
export async function claimOwnership(table: DeltaTable, appIds: readonly string[]): Promise<number[]> {
  for (let attempt = 1; ; attempt++) {
    const snap = await table.refresh();
    const marks = appIds.map((appId) => ({ appId, version: (snap.txnVersion(appId) ?? 0) + 1 }));
    try {
      await table.append([], { txn: marks, parameters: { claim: 'stream partition ownership' } });
      return marks.map((m) => m.version);
    } catch (err) {
      if (!(err instanceof ConcurrentModificationError) || attempt >= MAX_FENCED_ATTEMPTS) throw err;
    }
  }
}
