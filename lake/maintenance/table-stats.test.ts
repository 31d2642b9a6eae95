import { afterAll, describe, expect, it } from 'vitest';
import { Lake } from '../lake.ts';
import { optimize } from './optimize.ts';
import { tableStats } from './table-stats.ts';
import { syntheticTrades } from '../../test/support/lake/synthetic-trades.ts';
import { removeTmpDirs, tmpLakeDir } from '../../test/support/lake/tmp.ts';

afterAll(removeTmpDirs);

describe('tableStats', () => {
  it('counts live files and bytes, and the small files optimize would rewrite; none after optimize', async () => {
    const lake = new Lake(tmpLakeDir('stats-'));
    const trades = await lake.table('bronze/trades');
    await trades.append(syntheticTrades({ count: 5, firstTradeId: 1 }));
    const one = tableStats(await trades.refresh());
    expect(one).toMatchObject({ files: 1, smallFiles: 0 });
    await trades.append(syntheticTrades({ count: 5, firstTradeId: 6 }));
    const two = tableStats(await trades.refresh());
    expect(two.version).toBe(one.version + 1);
    expect(two.files).toBe(2);
    expect(two.smallFiles).toBe(2);
    const snap = await trades.refresh();
    expect(two.bytes).toBe(snap.addFiles().reduce((n, f) => n + f.size, 0));
    expect(tableStats(snap, { targetFileBytes: 1 }).smallFiles, 'files at the target size are not small').toBe(0);
    await optimize(trades);
    expect(tableStats(await trades.refresh())).toMatchObject({ files: 1, smallFiles: 0, version: two.version + 1 });
  });
});
