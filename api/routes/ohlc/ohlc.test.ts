import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiTestLake, type ApiTestLake } from '../../../test/support/api-lake.ts';
import { createTestApi, type TestApi } from '../../../test/support/api-app.ts';
import { tableFromIPC } from 'apache-arrow';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lake, type LakeRow } from '../../../lake/index.ts';
import { JAN_2024_KLINES, readKlines } from '../../../test/support/api-lake.ts';
import { klinesAsSilver } from '../../../test/support/transforms/quality-lakes.ts';

let lake: ApiTestLake;
let api: TestApi;

beforeAll(async () => {
  lake = await buildApiTestLake();
  api = await createTestApi({ lakeDir: lake.dir });
}, 120_000);

afterAll(() => {
  api?.close();
  lake?.cleanup();
});

const get = (path: string, headers: Record<string, string> = {}) => api.app.request(path, { headers });

describe('GET /v1/ohlc/{symbol}', () => {
  it('answers 1m candles equal to the Binance klines they were written from, digit for digit', async () => {
    const res = await get('/v1/ohlc/BTCUSDT?interval=1m&from=2024-01-15T10:00:00Z&to=2024-01-15T10:05:00Z');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.candles).toHaveLength(5);
    const first = lake.jan2024.find((k) => k.openTimeUs === Date.parse('2024-01-15T10:00:00Z') * 1000)!;
    expect(body.candles[0]).toMatchObject({
      window_start: '2024-01-15T10:00:00.000Z',
      window_end: '2024-01-15T10:01:00.000Z',
      open: first.open,
      high: first.high,
      low: first.low,
      close: first.close,
      volume: first.volume,
      trade_count: first.tradeCount,
      is_final: true,
      provisional: false,
    });
    expect(body.next).toBeNull();
    expect(res.headers.get('etag')).toBeTruthy();
    expect(res.headers.get('server-timing')).toMatch(/lake/);
  });

  it('accepts epoch milliseconds, treats `to` as exclusive and pages with a cursor', async () => {
    const from = Date.parse('2024-01-02T00:00:00Z');
    const to = from + 25 * 60_000;
    const page1 = await (await get(`/v1/ohlc/BTCUSDT?interval=1m&from=${from}&to=${to}&limit=10`)).json();
    expect(page1.candles).toHaveLength(10);
    expect(page1.next).toBeTruthy();
    const page2 = await (await get(`/v1/ohlc/BTCUSDT?interval=1m&to=${to}&limit=10&cursor=${page1.next}`)).json();
    const page3 = await (await get(`/v1/ohlc/BTCUSDT?interval=1m&to=${to}&limit=10&cursor=${page2.next}`)).json();
    expect(page3.next).toBeNull();
    const all = [...page1.candles, ...page2.candles, ...page3.candles].map((c) => c.window_start);
    expect(all).toHaveLength(25);
    expect(new Set(all).size).toBe(25);
    expect(all.at(-1)).toBe('2024-01-02T00:24:00.000Z');
  });

  it('rolls 1d and 4h up from the 1m candles, aligned to 00:00 UTC', async () => {
    const res = await get('/v1/ohlc/BTCUSDT?interval=1d&from=2024-01-01&to=2024-01-04');
    const body = await res.json();
    expect(body.candles.map((c: { window_start: string }) => c.window_start)).toEqual(['2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z']);
    // Independent reduction of the day's klines.
    const day = lake.jan2024.filter((k) => k.openTimeUs >= Date.UTC(2024, 0, 2) * 1000 && k.openTimeUs < Date.UTC(2024, 0, 3) * 1000);
    expect(day).toHaveLength(1440);
    const c = body.candles[1];
    expect(c.open).toBe(day[0].open);
    expect(c.close).toBe(day.at(-1)!.close);
    expect(Number(c.high)).toBe(Math.max(...day.filter((k) => k.tradeCount > 0).map((k) => Number(k.high))));
    expect(Number(c.low)).toBe(Math.min(...day.filter((k) => k.tradeCount > 0).map((k) => Number(k.low))));
    expect(c.trade_count).toBe(day.reduce((s, k) => s + k.tradeCount, 0));
    const volume = day.reduce((s, k) => s + BigInt(k.volume.replace('.', '').padEnd(0)), 0n);
    expect(c.volume.replace('.', '').replace(/^0+/, '')).toBe(volume.toString());
    const h4 = await (await get('/v1/ohlc/BTCUSDT?interval=4h&from=2024-01-02T00:00:00Z&to=2024-01-02T12:00:00Z')).json();
    expect(h4.candles.map((x: { window_start: string }) => x.window_start.slice(11, 16))).toEqual(['00:00', '04:00', '08:00']);
    expect(h4.candles[0].open).toBe(c.open);
  });

  it('without from/to answers the latest `limit` candles', async () => {
    const body = await (await get('/v1/ohlc/BTCUSDT?interval=1m&limit=3')).json();
    expect(body.candles.map((c: { window_start: string }) => c.window_start)).toEqual(['2024-01-31T23:57:00.000Z', '2024-01-31T23:58:00.000Z', '2024-01-31T23:59:00.000Z']);
  });

  describe('quiet windows and missing data (the lake holds BTCUSDT from its listing, 2017-08-17 04:00, then nothing until 2024-01)', () => {
    const starts = (body: { candles: { window_start: string }[] }) => body.candles.map((c) => c.window_start);

    it('returns a quiet minute as Binance does: volume 0, trade count 0, O = H = L = C = the previous close', async () => {
      const body = await (await get('/v1/ohlc/BTCUSDT?interval=1m&from=2017-08-17T04:00:00Z&to=2017-08-17T04:02:00Z')).json();
      expect(starts(body)).toEqual(['2017-08-17T04:00:00.000Z', '2017-08-17T04:01:00.000Z']);
      const [traded, quiet] = body.candles;
      expect(traded.trade_count).toBeGreaterThan(0);
      expect(quiet).toMatchObject({ volume: '0.00000000', trade_count: 0, open: traded.close, high: traded.close, low: traded.close, close: traded.close });
      expect(body.gaps).toEqual([]);
    });

    it('does not invent candles for minutes the lake has no data for: they are listed as gaps and counted in X-Data-Gaps', async () => {
      const res = await get('/v1/ohlc/BTCUSDT?interval=1m&from=2017-08-17T23:55:00Z&to=2017-08-18T00:05:00Z');
      const body = await res.json();
      expect(starts(body)).toEqual(['23:55', '23:56', '23:57', '23:58', '23:59'].map((t) => `2017-08-17T${t}:00.000Z`));
      expect(body.gaps).toEqual([{ from: '2017-08-18T00:00:00.000Z', to: '2017-08-18T00:05:00.000Z' }]);
      expect(res.headers.get('x-data-gaps')).toBe('1');
      const inside = await (await get('/v1/ohlc/BTCUSDT?interval=1m&from=2020-03-12T00:00:00Z&to=2020-03-12T00:10:00Z')).json();
      expect(inside.candles).toEqual([]);
      expect(inside.gaps).toEqual([{ from: '2020-03-12T00:00:00.000Z', to: '2020-03-12T00:10:00.000Z' }]);
      const csv = await get('/v1/ohlc/BTCUSDT?interval=1m&from=2017-08-17T23:55:00Z&to=2017-08-18T00:05:00Z&format=csv');
      expect(csv.headers.get('x-data-gaps')).toBe('1');
      expect((await csv.text()).trim().split('\r\n')).toHaveLength(6);
    });

    it('before the first candle (the listing) and after the latest nothing is missing', async () => {
      const before = await (await get('/v1/ohlc/BTCUSDT?interval=1m&from=2017-08-17T03:50:00Z&to=2017-08-17T04:03:00Z')).json();
      expect(starts(before)).toEqual(['04:00', '04:01', '04:02'].map((t) => `2017-08-17T${t}:00.000Z`));
      expect(before.gaps).toEqual([]);
      const after = await (await get('/v1/ohlc/BTCUSDT?interval=1m&from=2024-01-31T23:58:00Z&to=2024-02-01T00:05:00Z')).json();
      expect(after.candles).toHaveLength(2);
      expect(after.gaps).toEqual([]);
    });

    it('rolled-up candles: a window without any minute is a gap, not a candle; minutes missing inside a window are listed', async () => {
      const days = await (await get('/v1/ohlc/BTCUSDT?interval=1d&from=2017-08-16&to=2017-08-20')).json();
      expect(starts(days)).toEqual(['2017-08-17T00:00:00.000Z']);
      expect(days.gaps).toEqual([{ from: '2017-08-18T00:00:00.000Z', to: '2017-08-20T00:00:00.000Z' }]);
      const hours = await (await get('/v1/ohlc/BTCUSDT?interval=1h&from=2017-08-17T22:00:00Z&to=2017-08-18T02:00:00Z')).json();
      expect(starts(hours)).toEqual(['2017-08-17T22:00:00.000Z', '2017-08-17T23:00:00.000Z']);
      expect(hours.gaps).toEqual([{ from: '2017-08-18T00:00:00.000Z', to: '2017-08-18T02:00:00.000Z' }]);
    });
  });

  it('the JSON candles DuckDB writes are the candles of the row path (CSV), field for field and in order', async () => {
    for (const range of ['from=2024-01-15T00:00:00Z&to=2024-01-16T00:00:00Z&limit=1000', 'from=2017-08-17T23:55:00Z&to=2017-08-18T00:05:00Z', 'from=2017-08-17T04:00:00Z&to=2017-08-17T06:00:00Z']) {
      const json = await (await get(`/v1/ohlc/BTCUSDT?interval=1m&${range}`)).json();
      const csv = (await (await get(`/v1/ohlc/BTCUSDT?interval=1m&${range}&format=csv`)).text()).trim().split('\r\n');
      const columns = csv[0].split(',');
      expect(json.candles.length, range).toBe(csv.length - 1);
      expect(json.candles.length, range).toBeGreaterThan(0);
      json.candles.forEach((candle: Record<string, unknown>, i: number) => {
        expect(Object.keys(candle)).toEqual(columns);
        const row = csv[i + 1].split(',');
        expect(columns.map((c) => (candle[c] === null ? '' : String(candle[c]))), `${range} #${i}`).toEqual(row);
      });
    }
  });

  it('answers CSV and Arrow IPC by ?format= and by Accept', async () => {
    const csv = await get('/v1/ohlc/BTCUSDT?interval=1m&from=2024-01-15T10:00:00Z&to=2024-01-15T10:02:00Z&format=csv');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('window_start,window_end,open,high,low,close,volume,quote_volume,vwap,trade_count,taker_buy_volume,taker_buy_quote_volume,is_final,provisional');
    expect(lines).toHaveLength(3);
    const arrow = await get('/v1/ohlc/BTCUSDT?interval=1m&from=2024-01-15T10:00:00Z&to=2024-01-15T10:02:00Z', { accept: 'application/vnd.apache.arrow.stream' });
    expect(arrow.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()));
    expect(table.numRows).toBe(2);
    expect(String(table.getChild('open')!.get(0))).toMatch(/^\d+\.\d{8}$/);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const url = '/v1/ohlc/BTCUSDT?interval=1m&from=2024-01-15T10:00:00Z&to=2024-01-15T10:02:00Z';
    const etag = (await get(url)).headers.get('etag')!;
    const again = await get(url, { 'if-none-match': etag });
    expect(again.status).toBe(304);
  });

  it.each([
    ['interval=2m', 'interval'],
    ['limit=1001', 'limit'],
    ['limit=0', 'limit'],
    ['from=yesterday', 'from'],
    ['to=2024-13-45', 'to'],
    ['from=2024-01-02&to=2024-01-01', 'from'],
    ['cursor=not-a-cursor', 'cursor'],
    ['format=xml', 'format'],
  ])('400 naming the parameter for %s', async (query, parameter) => {
    const res = await get(`/v1/ohlc/BTCUSDT?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = await res.json();
    expect(problem).toMatchObject({ status: 400, parameter });
  });

  it('404 for an unknown symbol, as a problem document', async () => {
    const res = await get('/v1/ohlc/NOPEUSDT?interval=1m');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ status: 404, title: 'Not found', instance: '/v1/ohlc/NOPEUSDT' });
  });
});

describe('GET /v1/ohlc/{symbol}: an interval whose own series starts inside the range, and has a hole', () => {
  // Silver holds 2 days of real 1m klines (a backfill of 1m only) and 5m candles from the second
  // day on (the stream started then), except 00:30–00:40. The 5m answer rolls the windows silver
  // has no 5m candle for up from 1m, so it equals the rollup of every window; only a minute that
  // is missing from 1m too (23:41 of the first day, deleted) is a gap.
  let mixed: { dir: string; lake: Lake; cleanup(): void };
  let mixedApi: TestApi;
  let expected5m: LakeRow[];
  const DAY2 = Date.UTC(2024, 0, 2) * 1000;
  const DROPPED = Date.UTC(2024, 0, 1, 23, 41) * 1000;
  const HOLE = [Date.UTC(2024, 0, 2, 0, 30) * 1000, Date.UTC(2024, 0, 2, 0, 40) * 1000];
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-api-mixed-'));
    const lake = new Lake(dir);
    const klines = (await readKlines(JAN_2024_KLINES)).filter((k) => k.openTimeUs < DAY2 + 86_400_000_000);
    const { minutes, rollups } = klinesAsSilver(klines);
    expected5m = rollups.filter((r) => r.interval === '5m');
    const own5m = expected5m.filter((r) => Number(r.window_start) >= DAY2 && !(Number(r.window_start) >= HOLE[0] && Number(r.window_start) < HOLE[1]));
    await (await lake.table('silver/candles')).append([...minutes.filter((m) => Number(m.window_start) !== DROPPED), ...own5m]);
    mixed = { dir, lake, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
    mixedApi = await createTestApi({ lakeDir: dir });
  }, 120_000);
  afterAll(() => {
    mixedApi?.close();
    mixed?.cleanup();
  });

  it.each(['json', 'csv'])('rolls the windows before the series and in its hole up from 1m (%s); the minute missing from 1m too is the only gap', async (format) => {
    const res = await mixedApi.app.request(`/v1/ohlc/BTCUSDT?interval=5m&from=2024-01-01T23:30:00Z&to=2024-01-02T01:00:00Z&format=${format}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-data-gaps')).toBe('1');
    const want = expected5m.filter((r) => Number(r.window_start) >= Date.UTC(2024, 0, 1, 23, 30) * 1000 && Number(r.window_start) < Date.UTC(2024, 0, 2, 1) * 1000);
    expect(want).toHaveLength(18);
    if (format === 'csv') {
      const lines = (await res.text()).trim().split('\r\n');
      expect(lines).toHaveLength(1 + 18);
      return;
    }
    const body = await res.json();
    expect(body.gaps).toEqual([{ from: '2024-01-01T23:41:00.000Z', to: '2024-01-01T23:42:00.000Z' }]);
    expect(body.candles.map((c: { window_start: string }) => c.window_start)).toEqual(want.map((r) => new Date(Number(r.window_start) / 1000).toISOString()));
    // Every window but the one missing a minute equals the rollup of all its minutes.
    const withoutDropped = (c: { window_start: string }) => c.window_start !== '2024-01-01T23:40:00.000Z';
    const pick = (c: Record<string, unknown>) => [c.open, c.high, c.low, c.close, c.trade_count].map(String);
    const norm = (v: unknown) => String(Number(v));
    expect(body.candles.filter(withoutDropped).map((c: Record<string, unknown>) => [...pick(c).slice(0, 4).map(norm), pick(c)[4], norm(c.volume)])).toEqual(
      want.filter((r) => Number(r.window_start) !== Date.UTC(2024, 0, 1, 23, 40) * 1000).map((r) => [...pick(r).slice(0, 4).map(norm), String(r.trade_count), norm(r.volume)]),
    );
  });
});
