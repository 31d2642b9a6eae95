/** The write path's constant-column shortcut writes exactly what per-row staging would. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lake } from './lake.ts';
import { LakeQueryEngine } from './query/engine.ts';
import { syntheticTrades } from '../test/support/lake/synthetic-trades.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { RowValidationError } from './writer.ts';

afterAll(removeTmpDirs);

async function readBack(lake: Lake): Promise<Record<string, unknown>[]> {
  const engine = await LakeQueryEngine.open({ lake });
  try {
    return (await engine.query('SELECT exchange, symbol, kind, trade_id, first_trade_id, last_trade_id, price, qty, quote_qty, is_buyer_maker, epoch_us(trade_time) AS t, source FROM bronze_trades ORDER BY symbol, trade_id')).rows;
  } finally {
    engine.close();
  }
}

describe('writeRows with columns that hold one value', () => {
  it('constant, null-only and varying columns all read back exactly', async () => {
    const rows = syntheticTrades({ count: 300, symbols: ['BTCUSDT', 'ETHUSDT'], stepUs: 1_000_000 });
    // exchange, kind, source constant; first/last ids null throughout; a constant decimal too.
    const withConstantQty: Record<string, unknown>[] = rows.map((r) => ({ ...r, qty: '0.50000000' }));
    const lake = new Lake(tmpLakeDir());
    await (await lake.table('bronze/trades')).append(withConstantQty);
    const back = await readBack(lake);
    expect(back).toHaveLength(300);
    const expected = [...withConstantQty].sort((a, b) => String(a.symbol).localeCompare(String(b.symbol)) || Number(a.trade_id) - Number(b.trade_id));
    back.forEach((row, i) => {
      const src = expected[i];
      expect(row.exchange).toBe(src.exchange);
      expect(row.kind).toBe(src.kind);
      expect(row.source).toBe(src.source);
      expect(row.first_trade_id).toBeNull();
      expect(row.qty).toBe('0.50000000');
      expect(Number(row.price)).toBe(Number(src.price));
      expect(row.trade_id).toBe(String(src.trade_id));
      expect(Number(row.t)).toBe(src.trade_time);
    });
  });

  it('validates a constant value once and refuses it when bad', async () => {
    const rows = syntheticTrades({ count: 10, symbols: ['BTCUSDT'] }).map((r) => ({ ...r, price: '1.123456789' }));
    const table = await new Lake(tmpLakeDir()).table('bronze/trades');
    await expect(table.append(rows)).rejects.toThrow(RowValidationError);
    await expect(table.append(rows)).rejects.toThrow(/price/);
    const missing = syntheticTrades({ count: 10, symbols: ['BTCUSDT'] }).map((r) => ({ ...r, exchange: null }));
    await expect(table.append(missing)).rejects.toThrow(/exchange is required/);
    expect(table.version).toBe(0);
  });

  it('a single row (every column constant) is written too', async () => {
    const lake = new Lake(tmpLakeDir());
    await (await lake.table('bronze/trades')).append(syntheticTrades({ count: 1, symbols: ['SOLUSDT'] }));
    expect(await readBack(lake)).toHaveLength(1);
  });
});

describe('decimalFromVarchar', () => {
  it('equals DuckDB’s plain (slow) cast on every shape of value, on each of its paths', async () => {
    const values = ['0', '0.00000000', '1', '1.5', '.5', '5.', '-1.5', '-0.00000001', '0.00000001', '1234567890.12345678', '9999999999.99999999', '12345678901.12345678',
      '1.123456789', '42283.58000000', '1519031.69451920', '980394.71034560', '0.0000000000000001', '123456789012345678.1234567890123456', '1234567890123456789.5',
      '99999999999999999999.5', '00000000001.50000000', '7.0000000000', '1e3'];
    const { withLakeConnection } = await import('./duckdb.ts');
    const { decimalFromVarchar } = await import('./writer.ts');
    await withLakeConnection(async (conn) => {
      for (const [p, s] of [[38, 8], [38, 16], [38, 2]] as const) {
        const rows = (
          await conn.runAndReadAll(`SELECT v, (${decimalFromVarchar('v', p, s)})::VARCHAR AS ours, TRY_CAST(v AS DECIMAL(${p},${s}))::VARCHAR AS plain
            FROM (SELECT unnest([${values.map((v) => `'${v}'`).join(', ')}]) AS v)`)
        ).getRowObjectsJson();
        const differing = rows.filter((r) => r.plain !== null && r.ours !== r.plain);
        expect(differing, `DECIMAL(${p},${s})`).toEqual([]);
        expect(rows.filter((r) => r.plain !== null).length).toBeGreaterThan(15);
      }
    });
  });
});

describe('dictionary encoding', () => {
  it('is Parquet’s default, and a write asking for none encodes every column plain, reading back the same rows', async () => {
    const lake = new Lake(tmpLakeDir());
    const engine = await LakeQueryEngine.open({ lake, readOnly: false });
    try {
      const table = await lake.createTable({
        name: 'gold/dictionary_test',
        description: 'test',
        columns: [
          { name: 'kind', type: 'string', nullable: false },
          { name: 'x', type: 'double', nullable: false },
        ],
        partitionColumns: [],
      });
      const rows = `SELECT CASE WHEN i % 2 = 0 THEN 'up' ELSE 'down' END AS kind, i / 7.0 AS x FROM range(5000) r(i)`;
      const encodings = async (files: readonly { path: string }[]) => {
        const paths = files.map((f) => `${table.dir}/${decodeURIComponent(f.path)}`);
        const read = await engine.connection.runAndReadAll(`SELECT DISTINCT path_in_schema AS c, encodings AS e FROM parquet_metadata(${JSON.stringify(paths).replaceAll('"', "'")}) ORDER BY 1`);
        return Object.fromEntries(read.getRowObjectsJson().map((r) => [String(r.c), String(r.e)]));
      };
      const plain = await table.stageFromSql(engine.connection, rows, { dictionary: false });
      const byDefault = await table.stageFromSql(engine.connection, rows);
      expect(await encodings(byDefault)).toMatchObject({ kind: expect.stringMatching(/DICTIONARY/) });
      const plainEncodings = await encodings(plain);
      expect(Object.keys(plainEncodings)).toEqual(['kind', 'x']);
      for (const e of Object.values(plainEncodings)) expect(e).not.toMatch(/DICTIONARY/);
      await table.discardStaged(byDefault);
      await table.replacePartitionsWith(plain, { partitions: [{}] });
      const back = (await engine.connection.runAndReadAll(`SELECT count(*)::INTEGER AS n, sum(x) AS s, count(*) FILTER (WHERE kind = 'up')::INTEGER AS up FROM read_parquet('${table.dir}/*.parquet')`)).getRowObjectsJson()[0];
      const expected = (await engine.connection.runAndReadAll(`SELECT count(*)::INTEGER AS n, sum(x) AS s, count(*) FILTER (WHERE kind = 'up')::INTEGER AS up FROM (${rows})`)).getRowObjectsJson()[0];
      expect(back).toEqual(expected);
    } finally {
      engine.close();
    }
  });
});

describe('a write that fails midway', () => {
  it('leaves none of its files, though a partitioned COPY had written some before the error, and spares a file beside them', async () => {
    const lake = new Lake(tmpLakeDir());
    const engine = await LakeQueryEngine.open({ lake, readOnly: false });
    try {
      const table = await lake.createTable({
        name: 'gold/failing_write_test',
        description: 'test',
        columns: [
          { name: 'p', type: 'string', nullable: false },
          { name: 'x', type: 'long', nullable: false },
        ],
        partitionColumns: ['p'],
      });
      // Staged before, and not committed: another write's file in the same partition directories.
      const other = await table.stageFromSql(engine.connection, `SELECT CAST(i % 2 AS VARCHAR) AS p, i AS x FROM range(10) r(i)`);
      // The error comes with the last of 2M rows: both partitions have flushed row groups by then
      // (DuckDB leaves those files behind when the COPY fails).
      const failing = `SELECT CAST(i % 2 AS VARCHAR) AS p, CASE WHEN i = 1999999 THEN error('the last row is bad') ELSE i END AS x FROM range(2000000) r(i)`;
      await expect(table.stageFromSql(engine.connection, failing)).rejects.toThrow(/the last row is bad/);
      const left = (fs.readdirSync(table.dir, { recursive: true }) as string[]).filter((n) => n.endsWith('.parquet')).map((n) => n.split(path.sep).join('/')).sort();
      expect(left).toEqual(other.map((f) => decodeURIComponent(f.path)).sort());
    } finally {
      engine.close();
    }
  });
});
