/**
 * A gold table created before a column was added to its model's definition gains it when the
 * runner opens it (gold/indicators' `history_closes`: the hourly build's one-file history), so
 * that a lake built by an older release keeps building; its older files read the column as NULL.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Lake, LakeQueryEngine } from '../lake/index.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { GOLD_INDICATORS } from './models/indicators.ts';
import { openGoldTable } from './runner.ts';

afterAll(() => removeTmpDirs());

describe('opening a gold table', () => {
  it('adds the columns its definition gained since the table was created', async () => {
    const lake = new Lake(tmpLakeDir('gold-tables-'));
    const older = { ...GOLD_INDICATORS, columns: GOLD_INDICATORS.columns.filter((c) => c.name !== 'history_closes') };
    const created = await lake.createTable(older);
    const before = created.snapshot().version;
    const table = await openGoldTable(lake, GOLD_INDICATORS);
    expect(table.snapshot().columns.map((c) => c.name)).toEqual([...older.columns.map((c) => c.name), 'history_closes']);
    expect(table.snapshot().version).toBe(before + 1);
    // Opened again: nothing more to add, no commit.
    await openGoldTable(lake, GOLD_INDICATORS);
    expect((await table.refresh()).version).toBe(before + 1);
    const engine = await LakeQueryEngine.open({ lake });
    try {
      expect((await engine.query(`SELECT count(*)::INTEGER AS n FROM gold_indicators WHERE history_closes IS NOT NULL`)).rows).toEqual([{ n: 0 }]);
    } finally {
      engine.close();
    }
  });
});
