/** The real 2017-08-17 BTCUSDT 1m klines moved to another day: a valid archive for a day the mirror lacks. */
import fs from 'node:fs';
import { zipSingleFile } from '../zip-writer.ts';
import { KLINES_2017_CSV } from './binance-local-server.ts';

/** The daily archive zip (Binance's layout and file name) of `day` (YYYY-MM-DD). */
export function klinesZipForDay(day: string): Buffer {
  const shift = Date.parse(`${day}T00:00:00Z`) - Date.parse('2017-08-17T00:00:00Z');
  const csv = fs
    .readFileSync(KLINES_2017_CSV, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const f = l.split(',');
      f[0] = String(Number(f[0]) + shift);
      f[6] = String(Number(f[6]) + shift);
      return f.join(',');
    })
    .join('\n');
  return zipSingleFile(`BTCUSDT-1m-${day}.csv`, Buffer.from(`${csv}\n`));
}
