/**
 * precedingFrameStats equals DuckDB's avg, stddev_samp and count over `ROWS BETWEEN w PRECEDING
 * AND 1 PRECEDING` to the bit: series of several lengths (not multiples of the tree's fanout, one
 * shorter than the window), values with NULLs, windows using one, two and three tree levels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { rawColumn, readRawColumns, toDoubles } from '../indicators/columnar.ts';
import { precedingFrameStats } from './window-stats.ts';
import { fma } from './exact-fma.ts';

let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  // Log-return-like values (±0.5 %, a few large), one in 89 NULL.
  await conn.run(`CREATE TABLE t AS
    SELECT s, i, CASE WHEN hash(s, i) % 89 = 0 THEN NULL ELSE ((hash(i, s) % 2000001)::DOUBLE - 1000000) / 2e8 * CASE WHEN hash(i) % 500 = 0 THEN 30 ELSE 1 END END AS x
    FROM (VALUES ('a', 5003), ('b', 777), ('c', 3), ('d', 1291)) AS n(s, len), range(len) AS r(i)`);
});
afterAll(() => {
  conn.closeSync();
  db.closeSync();
});

describe('precedingFrameStats', () => {
  it.each([5, 20, 60, 300])('window %i: every row as DuckDB computes it', async (w) => {
    const read = await readRawColumns(
      conn,
      `SELECT coalesce(x, 'NaN'::DOUBLE) AS x, coalesce(avg(x) OVER f, 'NaN'::DOUBLE) AS mean, coalesce(stddev_samp(x) OVER f, 'NaN'::DOUBLE) AS sd, count(x) OVER f AS n
        FROM t WINDOW f AS (PARTITION BY s ORDER BY i ROWS BETWEEN ${w} PRECEDING AND 1 PRECEDING) ORDER BY s, i`,
    );
    const lengths = [5003, 777, 3, 1291];
    const bounds = Int32Array.from([0, ...lengths.map((_, k) => lengths.slice(0, k + 1).reduce((a, b) => a + b))]);
    const got = precedingFrameStats(toDoubles(rawColumn(read, 'x')), bounds, w);
    const [mean, sd, n] = ['mean', 'sd', 'n'].map((c) => toDoubles(rawColumn(read, c)));
    const differing = (a: Float64Array | Int32Array, b: Float64Array) => [...a].filter((v, i) => !Object.is(v, b[i])).length;
    expect({ mean: differing(got.mean, mean), sd: differing(got.sd, sd), count: differing(got.count, n) }).toEqual({ mean: 0, sd: 0, count: 0 });
  });
});

describe('fma', () => {
  it('rounds a × b + c once', () => {
    // 1 + 2^-52 squared is 1 + 2^-51 + 2^-104: minus (1 + 2^-51), only the fused form keeps 2^-104.
    const a = 1 + 2 ** -52;
    expect(fma(a, a, -(1 + 2 ** -51))).toBe(2 ** -104);
    expect(a * a - (1 + 2 ** -51)).toBe(0);
    expect(fma(0.1, 10, -1)).toBe(2 ** -54 * 1.0000000000000000);
    expect(fma(3, 5, 7)).toBe(22);
  });
});
