/**
 * stageRows: many rows of a table partitioned by month are written by two COPYs side by side,
 * split at a month's start, and still come out a file a partition; when one half fails, the
 * other half's files are deleted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lake, LakeQueryEngine, type TableDefinition } from '../lake/index.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { MONTH_COLUMN, monthColumn } from './month-partitions.ts';
import { stageRows } from './staging.ts';

afterAll(() => removeTmpDirs());

const TABLE: TableDefinition = {
  name: 'gold/staged',
  description: 'test',
  columns: [
    { name: 'symbol', type: 'string', nullable: false },
    { name: 'date', type: 'date', nullable: false },
    { name: 'x', type: 'long', nullable: false },
    monthColumn(),
  ],
  partitionColumns: ['symbol', MONTH_COLUMN],
};

/** 150,000 rows over 2024's first four months (the median in February). */
const ROWS = `SELECT 'BTCUSDT' AS symbol, CAST(DATE '2024-01-01' + CAST(i * 120 // 150000 AS INTEGER) AS DATE) AS "date", i AS x FROM range(150000) r(i)`;

async function setUp(name: string) {
  const lake = new Lake(tmpLakeDir(name));
  const table = await lake.createTable(TABLE);
  const engine = await LakeQueryEngine.open({ lake, readOnly: false });
  await engine.connection.run(`CREATE TABLE rows AS ${ROWS}`);
  const opened: string[] = [];
  const openConnection = async () => {
    const conn = await engine.openConnection();
    opened.push('opened');
    return { conn, close: () => engine.closeConnection(conn) };
  };
  return { lake, table, engine, openConnection, opened };
}

const parquetFiles = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet'));

describe('stageRows', () => {
  it('writes many rows in two halves, a file a month, every row once', async () => {
    const { table, engine, openConnection, opened } = await setUp('staging-');
    try {
      const staged = await stageRows(table, engine.connection, 'SELECT * FROM rows', { compression: 'snappy', source: 'rows', openConnection });
      expect(opened).toHaveLength(1);
      expect(staged.map((f) => f.partitionValues[MONTH_COLUMN]).sort()).toEqual(['2024-01', '2024-02', '2024-03', '2024-04']);
      await table.replacePartitionsWith(staged, { partitions: [{}] });
      const [row] = (await engine.connection.runAndReadAll(`SELECT count(*)::INTEGER AS n, count(DISTINCT x)::INTEGER AS d FROM read_parquet(${JSON.stringify(staged.map((f) => path.join(table.dir, decodeURIComponent(f.path))))}::VARCHAR[])`)).getRowObjectsJson();
      expect(row).toEqual({ n: 150000, d: 150000 });
    } finally {
      engine.close();
    }
  });

  it('writes few rows with one COPY', async () => {
    const { table, engine, openConnection, opened } = await setUp('staging-few-');
    try {
      const staged = await stageRows(table, engine.connection, 'SELECT * FROM rows WHERE x < 1000', { compression: 'snappy', source: '(SELECT * FROM rows WHERE x < 1000)', openConnection });
      expect(opened).toHaveLength(0);
      expect(staged).toHaveLength(1);
    } finally {
      engine.close();
    }
  });

  it('deletes the files of one half when the other fails', async () => {
    const { table, engine, openConnection } = await setUp('staging-fail-');
    try {
      // The later half fails (a row of April), the earlier one is written first.
      const failing = `SELECT symbol, "date", CASE WHEN "date" >= DATE '2024-04-20' THEN error('no such row') ELSE x END AS x FROM rows`;
      await expect(stageRows(table, engine.connection, failing, { compression: 'snappy', source: 'rows', openConnection })).rejects.toThrow(/no such row/);
      expect(parquetFiles(table.dir)).toEqual([]);
    } finally {
      engine.close();
    }
  });
});
