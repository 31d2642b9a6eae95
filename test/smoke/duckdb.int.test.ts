/** Smoke test: @duckdb/node-api writes a Parquet file with exact decimals and reads it back. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';

describe('DuckDB (real)', () => {
  it('round-trips DECIMAL prices through a Parquet file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-duck-'));
    const file = path.join(dir, 'trades.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await conn.run(`CREATE TABLE t (price DECIMAL(18,8), qty DECIMAL(18,8))`);
    await conn.run(`INSERT INTO t VALUES ('4261.48', '0.075183'), ('45000.07', '1.02561')`);
    await conn.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
    expect(fs.statSync(file).size).toBeGreaterThan(0);
    const reader = await conn.runAndReadAll(
      `SELECT price::VARCHAR AS p, (price::DECIMAL(38,8) * qty::DECIMAL(38,8))::VARCHAR AS quote FROM read_parquet('${file}') ORDER BY price`,
    );
    expect(reader.getRowObjects()).toEqual([
      { p: '4261.48000000', quote: '320.3908508400000000' },
      { p: '45000.07000000', quote: '46152.5217927000000000' },
    ]);
    conn.closeSync();
    instance.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
