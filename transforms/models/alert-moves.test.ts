/**
 * gold/alerts' price spikes and volume surges (price-spikes.ts, volume-surges.ts over
 * indicator-series.ts) raise the events the SQL they replace raised, with the same numbers to the
 * bit (volumes of many digits: an even frame's median is DuckDB's mean of its two middle values): series of two exchanges and intervals, planted spikes and surges (some two windows in a
 * row: one event), NULL returns, a flat stretch (a zero deviation), zero volumes (a zero median);
 * read from a table with text keys in no order and from one with ENUM keys in series order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { queryJson } from '../../lake/index.ts';
import { DEFAULT_GOLD_CONFIG } from '../config.ts';
import { readIndicatorSeries } from './indicator-series.ts';
import { priceSpikes } from './price-spikes.ts';
import { volumeSurges } from './volume-surges.ts';

let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await conn.run(`CREATE TABLE t AS
    SELECT exchange, symbol, "interval", make_timestamptz(1704067200000000 + i * step) AS window_start,
      CASE WHEN hash(symbol, i) % 101 = 0 THEN NULL
        WHEN i BETWEEN 400 AND 520 THEN 0
        WHEN i % 397 IN (0, 1) THEN 0.02
        ELSE ((hash(i, "interval") % 2000001)::DOUBLE - 1000000) / 5e8 END AS log_return,
      CAST(CASE WHEN i BETWEEN 900 AND 1000 THEN 0
        WHEN i % 311 IN (0, 1) THEN 20000000 + (hash(i) % 1000)
        ELSE 1 + (hash(symbol, i) % 10000000000000) / 1e8 END AS DECIMAL(38,8)) AS volume
    FROM (VALUES ('binance', 'AAA', '1m', 60000000, 3000), ('binance', 'AAA', '5m', 300000000, 700), ('kraken', 'BBB', '1m', 60000000, 1500)) AS s(exchange, symbol, "interval", step, len),
      range(len) AS r(i)
    ORDER BY hash(i, symbol, "interval")`);
  await conn.run(`CREATE TABLE e AS SELECT CAST(exchange AS ENUM('binance', 'kraken')) AS exchange, CAST(symbol AS ENUM('AAA', 'BBB')) AS symbol,
    CAST("interval" AS ENUM('1m', '5m')) AS "interval", window_start, log_return, volume FROM t ORDER BY ALL`);
});
afterAll(() => {
  conn.closeSync();
  db.closeSync();
});

const configs = [
  { priceSpike: { zScore: 4, window: 60, intervals: ['1m', '5m'] }, volumeSurge: { ratio: 20, window: 60, intervals: ['1m'] } },
  { priceSpike: { zScore: 2.5, window: 21, intervals: ['1m'] }, volumeSurge: { ratio: 3, window: 25, intervals: ['1m', '5m'] } },
  // Many events: most medians of the year end up in the comparison.
  { priceSpike: { zScore: 1, window: 300, intervals: ['1m', '5m'] }, volumeSurge: { ratio: 1.1, window: 10, intervals: ['1m', '5m'] } },
];

const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');

/** The events as the alerts' SQL computed them (before price-spikes.ts and volume-surges.ts). */
async function bySql(table: string, c: (typeof configs)[number]) {
  const { priceSpike: p, volumeSurge: v } = c;
  const moves = `SELECT *, coalesce("interval" IN (${list(p.intervals)}) AND n_spike = ${p.window} AND log_return IS NOT NULL AND abs(z) >= ${p.zScore}, false) AS spike,
      coalesce("interval" IN (${list(v.intervals)}) AND n_surge = ${v.window} AND ratio >= ${v.ratio}, false) AS surge FROM (
    SELECT *, (log_return - mu) / NULLIF(sd, 0) AS z, CAST(volume AS DOUBLE) / NULLIF(med, 0) AS ratio FROM (
      SELECT CAST(exchange AS VARCHAR) AS exchange, CAST(symbol AS VARCHAR) AS symbol, CAST("interval" AS VARCHAR) AS "interval", window_start, log_return, volume, lag(window_start) OVER s AS previous_start,
        avg(log_return) OVER ws AS mu, stddev_samp(log_return) OVER ws AS sd, count(log_return) OVER ws AS n_spike,
        median(CAST(volume AS DOUBLE)) OVER wv AS med, count(*) OVER wv AS n_surge
      FROM ${table}
      WINDOW s AS (PARTITION BY exchange, symbol, "interval" ORDER BY window_start),
        ws AS (s ROWS BETWEEN ${p.window} PRECEDING AND 1 PRECEDING), wv AS (s ROWS BETWEEN ${v.window} PRECEDING AND 1 PRECEDING)))`;
  const first = (flag: string) => `${flag} AND NOT EXISTS (SELECT 1 FROM m p WHERE p.${flag} AND p.exchange = m.exchange AND p.symbol = m.symbol AND p."interval" = m."interval" AND p.window_start = m.previous_start)`;
  const rows = await queryJson(conn, `WITH m AS (${moves})
    SELECT 'spike' AS kind, exchange, symbol, "interval", epoch_us(window_start) AS t, z AS value, mu AS a, sd AS b FROM m WHERE ${first('spike')}
    UNION ALL SELECT 'surge', exchange, symbol, "interval", epoch_us(window_start), ratio, med, NULL FROM m WHERE ${first('surge')}
    ORDER BY ALL`);
  return rows.map((r): Record<string, unknown> => ({ ...r, t: Number(r.t) }));
}

async function byPasses(table: string, c: (typeof configs)[number]) {
  const read = await readIndicatorSeries(conn, { relation: table, where: 'TRUE', doubles: { log_return: 'log_return', volume: 'volume' } });
  const of = (xs: readonly string[]) => (k: number) => xs.includes(read.keys[k].interval);
  const spikes = priceSpikes(read, read.doubles.log_return, c.priceSpike, of(c.priceSpike.intervals));
  const surges = volumeSurges(read, read.doubles.volume, c.volumeSurge, of(c.volumeSurge.intervals));
  const ws = new BigInt64Array(read.windowStart.bytes.buffer, read.windowStart.bytes.byteOffset, read.rows);
  const keyOf = (i: number) => {
    const k = read.keys.findIndex((_, j) => i >= read.bounds[j] && i < read.bounds[j + 1]);
    return { exchange: read.keys[k].exchange, symbol: read.keys[k].symbol, interval: read.keys[k].interval, t: Number(ws[i]) };
  };
  const rows = [
    ...spikes.rows.map((i, e) => ({ kind: 'spike', ...keyOf(i), value: spikes.z[e], a: spikes.mean[e], b: spikes.sd[e] })),
    ...surges.rows.map((i, e) => ({ kind: 'surge', ...keyOf(i), value: surges.ratio[e], a: surges.median[e], b: null })),
  ];
  const order = (x: (typeof rows)[number]) => [x.kind, x.exchange, x.symbol, x.interval, String(x.t).padStart(20, '0')].join('|');
  return rows.sort((x, y) => (order(x) < order(y) ? -1 : order(x) > order(y) ? 1 : 0));
}

describe('price spikes and volume surges', () => {
  it.each(configs.map((c, i) => [i, c] as const))('config %i: the same events and numbers as the SQL, from text keys and from ENUM keys', async (_, c) => {
    const expected = await bySql('t', c);
    expect(expected.filter((r) => r.kind === 'spike').length).toBeGreaterThan(5);
    expect(expected.filter((r) => r.kind === 'surge').length).toBeGreaterThan(5);
    expect(await byPasses('t', { ...DEFAULT_GOLD_CONFIG, ...c })).toEqual(expected);
    expect(await byPasses('e', { ...DEFAULT_GOLD_CONFIG, ...c })).toEqual(expected);
  });
});
