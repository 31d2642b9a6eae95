/**
 * Numbers are exact: the sum of 1M decimal quantities read back from the lake equals the exact
 * sum computed with BigInt, for an 18-digit column and for a 38-digit one (whose write path
 * assembles values from two parts for speed, see writer.ts decimalFromVarchar).
 */
import { afterAll, expect, it } from 'vitest';
import { Lake } from './lake.ts';
import { LakeQueryEngine } from './query/engine.ts';
import { prng } from '../test/support/lake/synthetic-trades.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { fromScaled, toScaled } from '../common/decimal.ts';

afterAll(removeTmpDirs);

it('the sum of 1M decimal quantities equals the exact decimal sum', async () => {
  const lake = new Lake(tmpLakeDir());
  const table = await lake.createTable({
    name: 'gold/decimal_check',
    columns: [
      { name: 'id', type: 'long', nullable: false },
      { name: 'qty', type: 'decimal(18,8)', nullable: false },
      { name: 'quote', type: 'decimal(38,16)', nullable: false },
    ],
  });
  const n = Number(process.env.LAKE_DECIMAL_TEST_ROWS ?? 1_000_000);
  const rnd = prng(7);
  let qtySum = 0n;
  let quoteSum = 0n;
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    // 8 decimals, up to 10 integer digits; quotes with 16 decimals, a few with 18 and 20 integer
    // digits (the two write paths for wide decimals)
    const qty = `${Math.floor(rnd() * 1e6)}.${String(Math.floor(rnd() * 1e8)).padStart(8, '0')}`;
    const quote = `${i % 100_000 === 0 ? '12345678901234567890' : i % 1000 === 0 ? '123456789012345678' : Math.floor(rnd() * 1e9)}.${String(Math.floor(rnd() * 1e8)).padStart(8, '0')}${String(Math.floor(rnd() * 1e8)).padStart(8, '0')}`;
    qtySum += toScaled(qty, 8);
    quoteSum += toScaled(quote, 16);
    rows.push({ id: i, qty, quote });
  }
  // two commits, so the sum also spans files
  await table.append(rows.slice(0, n / 2));
  await table.append(rows.slice(n / 2));
  const engine = await LakeQueryEngine.open({ lake });
  try {
    const { rows: got } = await engine.query('SELECT count(*) AS n, sum(qty) AS q, sum(quote) AS s FROM gold_decimal_check');
    expect(got[0].n).toBe(String(n));
    expect(got[0].q).toBe(fromScaled(qtySum, 8));
    expect(got[0].s).toBe(fromScaled(quoteSum, 16));
    // and individual values come back digit for digit
    const { rows: some } = await engine.query('SELECT id, CAST(qty AS VARCHAR) AS qty, CAST(quote AS VARCHAR) AS quote FROM gold_decimal_check WHERE id IN (0, 1, 999, 1000) ORDER BY id');
    for (const r of some) {
      const src = rows[Number(r.id)];
      expect(r.qty).toBe(fromScaled(toScaled(src.qty as string, 8), 8));
      expect(r.quote).toBe(fromScaled(toScaled(src.quote as string, 16), 16));
    }
  } finally {
    engine.close();
  }
}, 180_000);
