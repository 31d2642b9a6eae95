/**
 * Commit conflicts are error classes a caller branches on (the way delta-rs and Delta name them),
 * each produced here by a real race between two handles on one table: the first writer is held
 * between writing its data files and committing (its RowWriter waits on a gate) while the second
 * commits.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  CommitFailedError,
  ConcurrentAppendError,
  ConcurrentDeleteDeleteError,
  ConcurrentModificationError,
  ConcurrentTransactionError,
  DeltaTable,
  Lake,
  MetadataChangedError,
  writeRowBatch,
  type CommitResult,
} from './index.ts';
import { syntheticTrades } from '../test/support/lake/synthetic-trades.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';

afterAll(removeTmpDirs);

const PARTITION = { symbol: 'BTCUSDT', date: '2024-03-01' };

/** Two handles on one fresh bronze/trades table holding 10 trades in one partition. */
async function twoWriters() {
  const lake = new Lake(tmpLakeDir());
  const first = await lake.table('bronze/trades');
  await first.append(syntheticTrades({ count: 10 }));
  const second = await DeltaTable.open(first.dir);
  return { first, second };
}

/**
 * Starts `write` on `table` and holds it once it has read the table and is writing its data
 * files (`reading` resolves then), until release() is called.
 */
function held(table: DeltaTable, write: (t: DeltaTable) => Promise<CommitResult>) {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const writing = new Promise<void>((r) => (reached = r));
  table.rowWriter = async (spec, rows) => {
    reached();
    await gate;
    return writeRowBatch(spec, rows);
  };
  const done = write(table);
  done.catch(() => undefined);
  return { done, release, writing };
}

describe('commit conflicts', () => {
  it('new data in a partition being replaced: ConcurrentAppendError', async () => {
    const { first, second } = await twoWriters();
    const replace = held(first, (t) => t.replacePartitions(syntheticTrades({ count: 3, firstTradeId: 500 }), { partitions: [PARTITION] }));
    await replace.writing; // the replace has read the table
    const winner = await second.append(syntheticTrades({ count: 5, firstTradeId: 100 }));
    replace.release();
    const err = await replace.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrentAppendError);
    expect(err).toBeInstanceOf(ConcurrentModificationError);
    expect(err).toBeInstanceOf(CommitFailedError);
    const e = err as ConcurrentAppendError;
    expect(e.winningVersion).toBe(winner.version);
    expect(e.table).toBe(first.dir);
    expect(e.path).toBe(winner.added[0].path);
    expect(e.name).toBe('ConcurrentAppendError');
    expect((await first.refresh()).numRecords()).toBe(15); // the losing replace changed nothing
  });

  it('a file removed by both: ConcurrentDeleteDeleteError', async () => {
    const { first, second } = await twoWriters();
    const replace = held(first, (t) => t.replacePartitions(syntheticTrades({ count: 3, firstTradeId: 500 }), { partitions: [PARTITION] }));
    await replace.writing;
    const removedFile = [...second.snapshot().files.keys()][0];
    await second.replacePartitions(syntheticTrades({ count: 2, firstTradeId: 900 }), { partitions: [PARTITION] });
    replace.release();
    const err = await replace.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrentDeleteDeleteError);
    expect((err as ConcurrentDeleteDeleteError).path).toBe(removedFile);
  });

  it('two writers recording the same stream position: ConcurrentTransactionError', async () => {
    const { first, second } = await twoWriters();
    const append = held(first, (t) => t.append(syntheticTrades({ count: 3, firstTradeId: 500 }), { txn: [{ appId: 'stream:g:t:0', version: 13 }] }));
    await append.writing;
    await second.append(syntheticTrades({ count: 3, firstTradeId: 700 }), { txn: [{ appId: 'stream:g:t:0', version: 13 }] });
    append.release();
    const err = await append.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrentTransactionError);
    expect((err as ConcurrentTransactionError).appId).toBe('stream:g:t:0');
    // blind appends without a shared appId still both land
    const other = held(first, (t) => t.append(syntheticTrades({ count: 1, firstTradeId: 800 })));
    await other.writing;
    await second.append(syntheticTrades({ count: 1, firstTradeId: 801 }));
    other.release();
    await expect(other.done).resolves.toMatchObject({ rows: 1 });
  });

  it('a schema change under a schema change: MetadataChangedError', async () => {
    const { first, second } = await twoWriters();
    const stale = first.snapshot();
    await second.addColumns([{ name: 'venue_seq', type: 'long' }]);
    const err = await first
      .commit({
        actions: [{ metaData: { ...stale.metadata } }],
        operation: 'SET TBLPROPERTIES',
        readSnapshot: stale,
        scope: { removes: new Set(), txnAppIds: new Set(), changesMetadata: true, partitionColumns: stale.partitionColumns },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetadataChangedError);
    expect((err as MetadataChangedError).winningVersion).toBe(second.version);
  });
});
