/**
 * Interoperability with delta-rs (the Rust Delta Lake implementation, via its Python package):
 * it reads our tables (latest and an older version, and from our checkpoint alone) with exactly
 * the rows we read, and a partitioned table written by delta-rs reads correctly in ours.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lake } from '../lake.ts';
import { LakeQueryEngine } from '../query/engine.ts';
import { syntheticTrades } from '../../test/support/lake/synthetic-trades.ts';
import { removeTmpDirs, tmpLakeDir } from '../../test/support/lake/tmp.ts';
import { sqlIdentifier } from '../sql.ts';
import type { Snapshot } from '../delta/snapshot.ts';
import { deltaRs, deltaRsPython } from './python.ts';

type TextRow = Record<string, string | null>;

beforeAll(() => {
  deltaRsPython();
}, 600_000);
afterAll(removeTmpDirs);

/** Our rows as text, in the same spelling the Python helper uses. */
async function ourRows(engine: LakeQueryEngine, view: string, snapshot: Snapshot): Promise<TextRow[]> {
  const projection = snapshot.columns.map((c) => (c.type === 'timestamp' ? `CAST(epoch_us(${sqlIdentifier(c.name)}) AS VARCHAR) AS ${sqlIdentifier(c.name)}` : `CAST(${sqlIdentifier(c.name)} AS VARCHAR) AS ${sqlIdentifier(c.name)}`));
  const { rows } = await engine.query(`SELECT ${projection.join(', ')} FROM ${view}`);
  return sortRows(rows as TextRow[]);
}

function sortRows(rows: TextRow[]): TextRow[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)))).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('delta-rs interop', () => {
  it('delta-rs reads our table (latest, an older version, and from our checkpoint) with exactly our rows', async () => {
    const lake = new Lake(tmpLakeDir());
    const table = await lake.table('bronze/trades');
    const v1 = await table.append(syntheticTrades({ count: 40, symbols: ['BTCUSDT', 'ETHUSDT'], stepUs: 3_600_000_000 }), { txn: [{ appId: 'stream:g:t:0', version: 40 }] });
    for (let i = 1; i <= 8; i++) await table.append(syntheticTrades({ count: 5, firstTradeId: 1000 * i, seed: i, symbols: ['SOLUSDT'] }));
    await table.replacePartitions(syntheticTrades({ count: 3, firstTradeId: 90_000, seed: 99 }), { partitions: [{ symbol: 'BTCUSDT', date: '2024-03-01' }] });
    expect(table.version).toBe(10); // the checkpoint version
    await table.addColumns([{ name: 'venue_seq', type: 'long' }]);
    await table.append(syntheticTrades({ count: 4, firstTradeId: 50_000, seed: 5 }).map((r, i) => ({ ...r, venue_seq: i })));
    const latest = await table.refresh();

    const engine = await LakeQueryEngine.open({ lake });
    try {
      const ours = await ourRows(engine, 'bronze_trades', latest);
      const theirs = deltaRs<{ version: number; rows: TextRow[] }>('read', table.dir);
      expect(theirs.version).toBe(latest.version);
      expect(ours.length).toBe(latest.numRecords());
      expect(sortRows(theirs.rows)).toEqual(ours);
      expect(ours.filter((r) => r.venue_seq !== null).length).toBe(4);

      const older = await engine.pin('bronze/trades', { version: v1.version });
      const oursOld = await ourRows(engine, 'bronze_trades', older);
      const theirsOld = deltaRs<{ version: number; rows: TextRow[] }>('read', table.dir, String(v1.version));
      expect(oursOld.length).toBe(40);
      expect(sortRows(theirsOld.rows)).toEqual(oursOld);
    } finally {
      engine.close();
    }

    // Only our checkpoint Parquet (plus later commits) is left for versions <= 10.
    const logDir = path.join(table.dir, '_delta_log');
    expect(fs.existsSync(path.join(logDir, '00000000000000000010.checkpoint.parquet'))).toBe(true);
    for (let v = 0; v <= 10; v++) fs.rmSync(path.join(logDir, `${String(v).padStart(20, '0')}.json`));
    const fromCheckpoint = deltaRs<{ version: number; rows: TextRow[] }>('read', table.dir);
    expect(fromCheckpoint.version).toBe(latest.version);
    expect(fromCheckpoint.rows.length).toBe(latest.numRecords());
  });

  it('reads a partitioned table written by delta-rs (both versions) exactly', async () => {
    const lake = new Lake(tmpLakeDir());
    const dir = lake.tableDir('gold/from_delta_rs');
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const written = deltaRs<{ versions: Record<string, TextRow[]> }>('write', dir);
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const table = await lake.table('gold/from_delta_rs');
      const snap = await table.refresh();
      expect(snap.version).toBe(1);
      expect(snap.partitionColumns).toEqual(['symbol', 'date']);
      expect(await ourRows(engine, 'gold_from_delta_rs', snap)).toEqual(sortRows(written.versions['1']));
      const v0 = await engine.pin('gold/from_delta_rs', { version: 0 });
      expect(await ourRows(engine, 'gold_from_delta_rs', v0)).toEqual(sortRows(written.versions['0']));
      // partition pruning works on their layout too
      const { rows } = await engine.query(`SELECT count(*) AS n FROM gold_from_delta_rs WHERE symbol = 'BTCUSDT' AND date = DATE '2024-03-01'`);
      expect(Number(rows[0].n)).toBe(written.versions['0'].filter((r) => r.symbol === 'BTCUSDT').length);
      // and we can append to it with our writer; delta-rs then reads our commit
      await engine.unpin('gold/from_delta_rs');
      await table.append([{ symbol: 'BTCUSDT', date: '2024-03-03', trade_id: 7, price: '1.00000001', quote_qty: '2.5', is_buyer_maker: true, trade_time: 1709424000000000, note: null }]);
      const after = deltaRs<{ version: number; rows: TextRow[] }>('read', dir);
      expect(after.version).toBe(2);
      expect(after.rows.find((r) => r.trade_id === '7')).toEqual({ symbol: 'BTCUSDT', date: '2024-03-03', trade_id: '7', price: '1.00000001', quote_qty: '2.5000000000000000', is_buyer_maker: 'true', trade_time: '1709424000000000', note: null });
    } finally {
      engine.close();
    }
  });
});
