/**
 * vwapSql is exact: on random windows, exact ties, tiny and huge volumes and quotes beyond the
 * fast path, the SQL result equals quote / volume rounded half-up to 16 places computed with
 * BigInt; with the estimate from doubles, without it, and with a useless estimate (every row
 * then takes the HUGEINT division). vwapMatchesSql accepts exactly that value.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fromScaled, toScaled } from '../common/decimal.ts';
import { prng } from '../test/support/lake/synthetic-trades.ts';
import { vwapMatchesSql, vwapSql } from './vwap-sql.ts';

let conn: DuckDBConnection;
const cases: { quote: string; volume: string; vwap: string | null }[] = [];

function exactVwap(quote: string, volume: string): string | null {
  const v = toScaled(volume, 8);
  if (v === 0n) return null;
  const q = toScaled(quote, 16);
  return fromScaled((2n * q * 100_000_000n + v) / (2n * v), 16);
}

function add(quote: string, volume: string): void {
  cases.push({ quote, volume, vwap: exactVwap(quote, volume) });
}

beforeAll(async () => {
  const rnd = prng(13);
  const digits = (n: number) => String(Math.floor(rnd() * 10 ** n)).padStart(n, '0');
  for (let i = 0; i < 20_000; i++) {
    // Volumes from dust to 10^10, quotes priced from 10^-6 to 10^5 (quotes with 8 and 16 places).
    const volume = `${Math.floor(rnd() * 10 ** Math.floor(rnd() * 11))}.${digits(8)}`;
    const price = rnd() * 10 ** (Math.floor(rnd() * 12) - 6);
    const quoteInt = BigInt(Math.floor(Number(volume) * price));
    add(`${quoteInt}.${i % 2 ? digits(8) + '00000000' : digits(8) + digits(8)}`, volume);
  }
  // Exact ties (x.5 units of 10^-16, rounded up), the unit itself, zero volume, one quote beyond the fast path.
  add('4.5000000000000003', '3.00000000');
  add('0.0000000000000005', '0.00000001');
  add('0.0000000000000001', '0.00000002');
  add('0.0000000000000003', '0.00000002');
  add('1', '7');
  add('1.0000000000000001', '0.00000003');
  add('987654321098.1234567890123456', '123456789012.12345678');
  add('2000000000000', '1');
  add('99999999999.9999999999999999', '0.5');
  add('0', '0');
  add('12.5', '0');
  const db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await conn.run(`CREATE TABLE c (i INTEGER, quote DECIMAL(38,16), volume DECIMAL(38,8), quote_d DOUBLE, volume_d DOUBLE)`);
  const app = await conn.createAppender('c');
  cases.forEach((c, i) => {
    app.appendInteger(i);
    app.appendVarchar(c.quote);
    app.appendVarchar(c.volume);
    app.appendDouble(Number(c.quote));
    app.appendDouble(Number(c.volume));
    app.endRow();
  });
  app.closeSync();
});

afterAll(() => conn?.closeSync());

async function computed(expr: string): Promise<(string | null)[]> {
  const rows = (await conn.runAndReadAll(`SELECT (${expr})::VARCHAR AS vwap FROM c ORDER BY i`)).getRowObjectsJson();
  return rows.map((r) => (r.vwap === null ? null : String(r.vwap)));
}

it.each([
  ['without an estimate', vwapSql('quote', 'volume')],
  ['with the doubles as the estimate', vwapSql('quote', 'volume', { quoteVolume: 'quote_d', volume: 'volume_d' })],
  ['with a useless estimate (the HUGEINT division on every row)', vwapSql('quote', 'volume', { quoteVolume: '1e30', volume: '1' })],
])('equals the exact quotient rounded half-up, %s', async (_how, expr) => {
  const got = await computed(expr);
  const wrong = cases.map((c, i) => ({ ...c, got: got[i] })).filter((c) => c.got !== c.vwap);
  expect(wrong.slice(0, 5)).toEqual([]);
  expect(got).toHaveLength(cases.length);
});

it('vwapMatchesSql accepts the exact vwap and rejects one unit off', async () => {
  const rows = (
    await conn.runAndReadAll(`SELECT count(*) FILTER (WHERE ${vwapMatchesSql('w', 'quote', 'volume')}) AS ok,
        count(*) FILTER (WHERE volume > 0 AND quote < 1000000000000 AND ${vwapMatchesSql('w + 0.0000000000000001', 'quote', 'volume')}) AS off_by_one
      FROM (SELECT *, ${vwapSql('quote', 'volume')} AS w FROM c) WHERE quote < 1000000000000`)
  ).getRowObjectsJson();
  expect(Number(rows[0].ok)).toBe(cases.filter((c) => toScaled(c.quote, 16) < 10n ** 28n).length);
  expect(Number(rows[0].off_by_one)).toBe(0);
});
