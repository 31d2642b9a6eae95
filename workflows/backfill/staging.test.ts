/**
 * A klines archive reaches DuckDB as a gzip made of the zip entry's deflate data as it is
 * (extractCsvAsGzip); loadKlinesCsv reads it with or without a header row, digit for digit,
 * and refuses a damaged deflate stream.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, expect, it } from 'vitest';
import { createLakeDuckDB, withLakeConnection } from '../../lake/index.ts';
import { extractCsvAsGzip } from '../../producers/index.ts';
import { KLINES_2024_DIR } from '../../test/fixtures/paths.ts';
import { removeTmpDirs, tmpLakeDir } from '../../test/support/lake/tmp.ts';
import { zipSingleFile } from '../../test/support/zip-writer.ts';
import { BadKlineRowsError, loadKlinesCsv } from './staging.ts';

afterAll(removeTmpDirs);

const db = createLakeDuckDB({ threads: 1 });
const ROWS = [
  '1704067200000,42283.58000000,42298.62000000,42261.02000000,42298.61000000,35.92724000,1704067259999,1519031.69451920,1327,23.18766000,980394.71034560,0',
  '1704067260000,42298.62000000,42320.00000000,42298.61000000,42320.00000000,21.16779000,1704067319999,895580.86104560,1348,13.47483000,570080.79421810,0',
];
const HEADER = 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore';

async function load(zip: Buffer): Promise<{ n: number; rows: Record<string, unknown>[] }> {
  const dir = tmpLakeDir();
  fs.mkdirSync(dir, { recursive: true });
  const zipFile = path.join(dir, 'k.zip');
  fs.writeFileSync(zipFile, zip);
  const out = path.join(dir, 'k.csv.gz');
  expect(await extractCsvAsGzip(zipFile, out)).toEqual({ compression: 'gzip' });
  return withLakeConnection(async (conn) => {
    const n = await loadKlinesCsv(conn, out, 'k');
    const rows = (await conn.runAndReadAll(`SELECT window_start_us, open::VARCHAR AS open, quote_volume::VARCHAR AS qv, taker_buy_quote_volume::VARCHAR AS tbqv, trade_count FROM k ORDER BY 1`)).getRowObjectsJson();
    await conn.run('DROP TABLE k');
    return { n, rows };
  }, db);
}

it('reads the gzip made from a zip entry, with and without a header row, digit for digit', async () => {
  for (const lines of [ROWS, [HEADER, ...ROWS]]) {
    const { n, rows } = await load(zipSingleFile('BTCUSDT-1m-2024-01.csv', Buffer.from(`${lines.join('\n')}\n`)));
    expect(n).toBe(2);
    expect(rows).toEqual([
      { window_start_us: '1704067200000000', open: '42283.58000000', qv: '1519031.6945192000000000', tbqv: '980394.7103456000000000', trade_count: '1327' },
      { window_start_us: '1704067260000000', open: '42298.62000000', qv: '895580.8610456000000000', tbqv: '570080.7942181000000000', trade_count: '1348' },
    ]);
  }
});

it('the real January 2024 archive: as many rows as its csv has lines, the same first and last line', async () => {
  const zipFile = path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip');
  const dir = tmpLakeDir();
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, 'jan.csv.gz');
  await extractCsvAsGzip(zipFile, out);
  const csv = zlib.gunzipSync(fs.readFileSync(out)).toString('utf8').trim().split('\n');
  expect(csv).toHaveLength(44_640);
  await withLakeConnection(async (conn) => {
    expect(await loadKlinesCsv(conn, out, 'jan')).toBe(44_640);
    const [first, last] = (await conn.runAndReadAll(`(SELECT window_start_us, close::VARCHAR AS c FROM jan ORDER BY 1 LIMIT 1) UNION ALL (SELECT window_start_us, close::VARCHAR FROM jan ORDER BY 1 DESC LIMIT 1)`)).getRowObjectsJson();
    expect(`${Number(first.window_start_us) / 1000},${first.c}`).toBe(csv[0].split(',').filter((_, i) => i === 0 || i === 4).join(','));
    expect(`${Number(last.window_start_us) / 1000},${last.c}`).toBe(csv.at(-1)!.split(',').filter((_, i) => i === 0 || i === 4).join(','));
    await conn.run('DROP TABLE jan');
  }, db);
});

it('a damaged deflate stream fails the read (the archive is corrupt)', async () => {
  const zip = zipSingleFile('BTCUSDT-1m-2024-01.csv', Buffer.from(`${ROWS.join('\n')}\n`.repeat(50)));
  // Overwrite bytes inside the deflate data (after the 30-byte local header and the name).
  const at = 30 + 'BTCUSDT-1m-2024-01.csv'.length + 5;
  zip.fill(0xff, at, at + 12);
  await expect(load(zip)).rejects.toThrow(BadKlineRowsError);
});
