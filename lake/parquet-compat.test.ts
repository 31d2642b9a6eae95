/**
 * Our data files are standard Parquet: parquetjs-lite, an independent pure-JS reader, reads
 * every row of files we write (with the codecs it supports: uncompressed, snappy, gzip; it has no
 * zstd, our default) and finds DECIMAL columns declared with their precision and scale.
 */
import { afterAll, expect, it } from 'vitest';
import parquet from 'parquetjs-lite';
import { Lake } from './lake.ts';
import { LakeQueryEngine } from './query/engine.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { syntheticTrades } from '../test/support/lake/synthetic-trades.ts';
import type { ParquetCompression } from './writer.ts';

afterAll(removeTmpDirs);

const ROWS = Array.from({ length: 300 }, (_, i) => ({
  sym: i % 2 ? 'AAA' : 'BBB',
  id: 1_000_000_000_000 + i,
  name: i % 7 === 0 ? null : `row-${i % 13}`,
  flag: i % 3 === 0,
  ts: 1_709_251_200_000_000 + i * 1_000_123,
  day: `2024-03-${String(1 + (i % 28)).padStart(2, '0')}`,
  score: i / 8,
  n: i - 150,
}));

for (const compression of ['snappy', 'uncompressed', 'gzip'] as ParquetCompression[]) {
  it(`parquetjs-lite reads every row of a ${compression} table exactly as DuckDB does`, async () => {
    const lake = new Lake(tmpLakeDir());
    const table = await lake.createTable({
      name: 'gold/compat',
      columns: [
        { name: 'sym', type: 'string', nullable: false },
        { name: 'id', type: 'long', nullable: false },
        { name: 'name', type: 'string' },
        { name: 'flag', type: 'boolean' },
        { name: 'ts', type: 'timestamp' },
        { name: 'day', type: 'date' },
        { name: 'score', type: 'double' },
        { name: 'n', type: 'integer' },
      ],
      partitionColumns: ['sym'],
    });
    await table.append(ROWS, { compression });
    const read: Record<string, unknown>[] = [];
    for (const f of table.snapshot().files.values()) {
      const reader = await parquet.ParquetReader.openFile(table.filePath(f.path));
      try {
        const cursor = reader.getCursor();
        for (let rec = await cursor.next(); rec; rec = await cursor.next()) read.push({ ...rec, sym: f.partitionValues.sym });
      } finally {
        await reader.close();
      }
    }
    const normalised = read
      .map((r) => ({
        sym: r.sym,
        id: String(r.id),
        name: r.name ?? null,
        flag: r.flag,
        ts: (r.ts as Date).getTime(), // parquetjs-lite gives ms Dates: compare at ms precision
        day: (r.day as Date).toISOString().slice(0, 10),
        score: r.score,
        n: r.n,
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
    expect(normalised).toEqual(
      ROWS.map((r) => ({ ...r, id: String(r.id), ts: Math.floor(r.ts / 1000) })).sort((a, b) => a.id.localeCompare(b.id)),
    );
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const { rows } = await engine.query(`SELECT count(*) AS c, sum(n) AS s FROM gold_compat`);
      expect(rows[0]).toEqual({ c: String(ROWS.length), s: String(ROWS.reduce((s, r) => s + r.n, 0)) });
    } finally {
      engine.close();
    }
  });
}

it('declares DECIMAL columns with precision and scale in the Parquet footer', async () => {
  const lake = new Lake(tmpLakeDir());
  const table = await lake.table('bronze/trades');
  await table.append(syntheticTrades({ count: 10 }), { compression: 'snappy' });
  const file = [...table.snapshot().files.values()][0];
  const envelope = await parquet.ParquetEnvelopeReader.openFile(table.filePath(file.path));
  try {
    const footer = await envelope.readFooter();
    const byName = new Map(footer.schema.map((s) => [s.name, s]));
    const decimal = (name: string) => {
      const s = byName.get(name)!;
      return [s.converted_type, s.precision, s.scale];
    };
    const DECIMAL = 5; // parquet-format ConvertedType.DECIMAL
    expect(decimal('price')).toEqual([DECIMAL, 18, 8]);
    expect(decimal('qty')).toEqual([DECIMAL, 18, 8]);
    expect(decimal('quote_qty')).toEqual([DECIMAL, 38, 16]);
    expect(Number(footer.num_rows)).toBe(10);
    expect(byName.has('symbol')).toBe(false); // partition columns live in the path, as Delta wants
  } finally {
    await envelope.close();
  }
});
