/**
 * Every read route through `app.request()` (no server) over a real lake written from the
 * fixtures, with each of its error statuses: health, metrics, symbols, prices, indicators,
 * analytics (gold present and absent), sentiment, news, docs, the page and its assets, auth,
 * rate limit, CORS, 404 and 503.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiTestLake, type ApiTestLake } from '../../test/support/api-lake.ts';
import { TEST_API_KEY, TEST_READ_KEY, createTestApi, type TestApi } from '../../test/support/api-app.ts';
import type { TableDefinition } from '../../lake/index.ts';
import { GOLD_INDICATORS } from '../../transforms/index.ts';

let lake: ApiTestLake;
let api: TestApi;

const GOLD_ALERTS: TableDefinition = {
  name: 'gold/alerts',
  description: 'test copy of the gold alerts contract',
  columns: [
    { name: 'alert_id', type: 'string', nullable: false },
    { name: 'exchange', type: 'string', nullable: false },
    { name: 'symbol', type: 'string', nullable: false },
    { name: 'interval', type: 'string', nullable: false },
    { name: 'window_start', type: 'timestamp', nullable: false },
    { name: 'kind', type: 'string', nullable: false },
    { name: 'severity', type: 'string', nullable: false },
    { name: 'value', type: 'double' },
    { name: 'threshold', type: 'double' },
    { name: 'details', type: 'string' },
    { name: 'raised_at', type: 'timestamp', nullable: false },
  ],
  partitionColumns: [],
};

beforeAll(async () => {
  lake = await buildApiTestLake();
  const alerts = await lake.lake.createTable(GOLD_ALERTS);
  const at = (iso: string) => Date.parse(iso) * 1000;
  await alerts.append([
    { alert_id: 'a1', exchange: 'binance', symbol: 'BTCUSDT', interval: '1m', window_start: at('2024-01-10T10:00:00Z'), kind: 'price_spike', severity: 'warn', value: 3.2, threshold: 3, details: '{}', raised_at: at('2024-01-10T10:01:00Z') },
    { alert_id: 'a2', exchange: 'binance', symbol: 'BTCUSDT', interval: '1h', window_start: at('2024-01-11T10:00:00Z'), kind: 'volume_surge', severity: 'info', value: 5, threshold: 4, details: '{}', raised_at: at('2024-01-11T11:00:00Z') },
  ]);
  api = await createTestApi({ lakeDir: lake.dir });
}, 120_000);

afterAll(() => {
  api?.close();
  lake?.cleanup();
});

const get = (path: string, headers: Record<string, string> = {}) => api.app.request(path, { headers });
async function expectProblem(res: Response, status: number, parameter?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = await res.json();
  expect(body.status).toBe(status);
  expect(body.type).toMatch(/^https:\/\//);
  if (parameter) expect(body.parameter).toBe(parameter);
  return body;
}

describe('operations', () => {
  it('/health: the lake ok, Kafka and Temporal absent → degraded, 200', async () => {
    const res = await get('/health');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ service: 'api', status: 'degraded', checks: { lake: { status: 'ok' }, kafka: { status: 'degraded' }, temporal: { status: 'degraded' } } });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('/health: 503 when the lake is unreadable', async () => {
    const broken = await createTestApi({ lakeDir: `${lake.dir}-gone` });
    const fs = await import('node:fs');
    fs.rmSync(`${lake.dir}-gone`, { recursive: true, force: true });
    const res = await broken.app.request('/health');
    expect(res.status).toBe(503);
    expect((await res.json()).checks.lake.status).toBe('down');
    broken.close();
  });

  it('/health/live and /metrics', async () => {
    expect((await get('/health/live')).status).toBe(200);
    await get('/v1/symbols');
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/marketlake_http_requests_total\{[^}]*route="\/v1\/symbols"/);
    expect(metrics).toMatch(/marketlake_http_request_duration_seconds_bucket/);
  });

  it('/openapi.json is OpenAPI 3.1 and documents every route', async () => {
    const doc = await (await get('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/health', '/metrics', '/v1/symbols', '/v1/prices/latest', '/v1/prices/{symbol}', '/v1/ohlc/{symbol}', '/v1/indicators/{symbol}', '/v1/signals', '/v1/alerts', '/v1/whales', '/v1/sentiment', '/v1/news', '/v1/market/overview', '/v1/coverage', '/v1/quality', '/v1/stream', '/v1/sql', '/v1/backfills', '/v1/backfills/{id}']) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
    expect(doc.paths['/v1/ohlc/{symbol}'].get.responses['400'].content['application/problem+json']).toBeTruthy();
  });

  it('/docs serves Swagger UI from node_modules (no CDN)', async () => {
    const html = await (await get('/docs')).text();
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\/(unpkg|cdn|cdnjs)/);
    const js = await get('/docs/assets/swagger-ui-bundle.js');
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeGreaterThan(100_000);
    expect((await get('/docs/assets/swagger-ui.css')).status).toBe(200);
    await expectProblem(await get('/docs/assets/../../package.json'), 404);
  });

  it('/ serves the page, its script and lightweight-charts with its license', async () => {
    const html = await (await get('/')).text();
    expect(html).toContain('/assets/lightweight-charts.js');
    expect(html).toContain('Apache License 2.0');
    expect((await get('/page/app.js')).headers.get('content-type')).toMatch(/javascript/);
    const lib = await (await get('/assets/lightweight-charts.js')).text();
    expect(lib).toMatch(/TradingView Lightweight Charts/);
    expect(await (await get('/assets/lightweight-charts/LICENSE')).text()).toMatch(/Apache License/);
    await expectProblem(await get('/page/nope.js'), 404);
  });

  it('unknown routes: 404 problem', async () => {
    await expectProblem(await get('/v1/nothing-here'), 404);
  });
});

describe('market data', () => {
  it('/v1/symbols lists BTCUSDT with its dates', async () => {
    const res = await get('/v1/symbols');
    const body = await res.json();
    expect(body.symbols).toEqual([{ symbol: 'BTCUSDT', first_date: '2017-08-17', last_date: '2024-01-31', candle_days: 32, has_trades: true, live: false }]);
    expect((await get('/v1/symbols', { 'if-none-match': res.headers.get('etag')! })).status).toBe(304);
    expect(await (await get('/v1/symbols?format=csv')).text()).toMatch(/^symbol,first_date/);
    await expectProblem(await get('/v1/symbols?format=yaml'), 400, 'format');
  });

  it('/v1/prices/latest and /v1/prices/{symbol}: the last close from the lake', async () => {
    const last = lake.jan2024.at(-1)!;
    const latest = await (await get('/v1/prices/latest')).json();
    expect(latest.prices).toEqual([{ symbol: 'BTCUSDT', exchange: 'binance', price: last.close, as_of: '2024-02-01T00:00:00.000Z', source: 'lake' }]);
    const one = await (await get('/v1/prices/btcusdt')).json();
    expect(one.price).toBe(last.close);
    await expectProblem(await get('/v1/prices/NOPEUSDT'), 404);
    await expectProblem(await get('/v1/prices/B!'), 400, 'symbol');
    await expectProblem(await get('/v1/prices/BTCUSDT?exchange=Not%20An%20Exchange'), 400, 'exchange');
  });
});

describe('indicators', () => {
  it('computes SMA 20/50 from silver when gold_indicators is absent', async () => {
    const body = await (await get('/v1/indicators/BTCUSDT?interval=1h&from=2024-01-10T00:00:00Z&to=2024-01-11T00:00:00Z')).json();
    expect(body.source).toBe('silver');
    expect(body.indicators).toHaveLength(24);
    // SMA 20 of hourly closes, checked against the klines directly: the close of each hour is its last minute's close.
    const hourClose = (h: number) => Number(lake.jan2024.find((k) => k.openTimeUs === Date.UTC(2024, 0, 10, h, 59) * 1000 || false)?.close ?? NaN);
    const closes = Array.from({ length: 24 }, (_, h) => hourClose(h));
    const prev = Array.from({ length: 19 }, (_, i) => Number(lake.jan2024.find((k) => k.openTimeUs === (Date.UTC(2024, 0, 10) - (19 - i) * 3_600_000 + 59 * 60_000) * 1000)!.close));
    const series = [...prev, ...closes];
    const expected = series.slice(0, 20).reduce((s, x) => s + x, 0) / 20;
    expect(body.indicators[0].sma_20).toBeCloseTo(expected, 6);
    expect(body.indicators[0].sma_50).not.toBeNull();
  });

  it('from silver: gaps lists windows missing between the rows returned, none after the last (the lake holds nothing after 2017-08-17 until 2024-01)', async () => {
    const res = await get('/v1/indicators/BTCUSDT?interval=1h&from=2017-08-17T20:00:00Z&to=2017-08-18T02:00:00Z');
    const body = await res.json();
    expect(body.source).toBe('silver');
    expect(body.indicators.map((r: { window_start: string }) => r.window_start)).toEqual(['20', '21', '22', '23'].map((h) => `2017-08-17T${h}:00:00.000Z`));
    expect(body.gaps).toEqual([]);
    expect(res.headers.get('x-data-gaps')).toBe('0');
  });

  it('from gold_indicators too: gaps between its rows', async () => {
    const gold = await lake.lake.createTable(GOLD_INDICATORS);
    const row = (day: string) => ({ exchange: 'binance', symbol: 'BTCUSDT', interval: '1d', window_start: Date.parse(`${day}T00:00:00Z`) * 1000, close: '2300.00000000', volume: '10.00000000', is_warm: false, computed_at: Date.now() * 1000, date: day });
    await gold.append(['2024-01-01', '2024-01-02', '2024-01-05'].map(row));
    const res = await get('/v1/indicators/BTCUSDT?interval=1d&from=2024-01-01T00:00:00Z&to=2024-01-06T00:00:00Z');
    const body = await res.json();
    expect(body.source).toBe('gold');
    expect(body.indicators).toHaveLength(3);
    expect(body.gaps).toEqual([{ from: '2024-01-03T00:00:00.000Z', to: '2024-01-05T00:00:00.000Z' }]);
    expect(res.headers.get('x-data-gaps')).toBe('1');
    // (Other intervals still come from silver: gold has no 1h rows.)
    expect((await (await get('/v1/indicators/BTCUSDT?interval=1h&from=2024-01-10T00:00:00Z&to=2024-01-11T00:00:00Z')).json()).source).toBe('silver');
  });

  it('400 and 404', async () => {
    await expectProblem(await get('/v1/indicators/BTCUSDT?interval=3m'), 400, 'interval');
    await expectProblem(await get('/v1/indicators/BTCUSDT?limit=5000'), 400, 'limit');
    await expectProblem(await get('/v1/indicators/NOPEUSDT'), 404);
  });
});

describe('analytics over gold views', () => {
  it('/v1/alerts reads gold_alerts, newest first, filtered', async () => {
    const body = await (await get('/v1/alerts?symbol=btcusdt')).json();
    expect(body.available).toBe(true);
    expect(body.data.map((a: { alert_id: string }) => a.alert_id)).toEqual(['a2', 'a1']);
    expect(body.data[1]).toMatchObject({ kind: 'price_spike', window_start: '2024-01-10T10:00:00.000Z', value: 3.2 });
    const filtered = await (await get('/v1/alerts?kind=volume_surge&from=2024-01-11T00:00:00Z')).json();
    expect(filtered.data.map((a: { alert_id: string }) => a.alert_id)).toEqual(['a2']);
  });

  it.each(['/v1/signals', '/v1/whales', '/v1/market/overview', '/v1/coverage', '/v1/quality'])('%s: an absent gold table is an empty list, not an error', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ available: false, data: [] });
  });

  it.each(['/v1/alerts', '/v1/signals', '/v1/whales', '/v1/coverage', '/v1/quality'])('%s: 400 naming the parameter', async (path) => {
    await expectProblem(await get(`${path}?limit=0`), 400, 'limit');
    await expectProblem(await get(`${path}?from=soon`), 400, 'from');
  });
});

describe('sentiment and news', () => {
  it('/v1/sentiment: the latest Fear & Greed reading first', async () => {
    const body = await (await get('/v1/sentiment')).json();
    expect(body.latest).toMatchObject({ source: 'alternative.me', indicator: 'fear_and_greed' });
    expect(body.readings.length).toBe(2);
    expect(body.readings[0].as_of >= body.readings[1].as_of).toBe(true);
    await expectProblem(await get('/v1/sentiment?to=2024-01-01&from=2024-02-01'), 400, 'from');
  });

  it('/v1/news: the latest headlines', async () => {
    const body = await (await get('/v1/news?limit=3')).json();
    expect(body.news).toHaveLength(3);
    expect(body.news[0].title.length).toBeGreaterThan(5);
    await expectProblem(await get('/v1/news?limit=500'), 400, 'limit');
  });
});

describe('stream and backfills without their dependencies', () => {
  it('/v1/stream: 503 naming Kafka when there is no live feed', async () => {
    const body = await expectProblem(await get('/v1/stream'), 503);
    expect(body.dependency).toBe('kafka');
  });

  it('/v1/backfills: 401 without a key, 403 for a read-only key, 503 without Temporal, 400 for a bad body', async () => {
    const post = (body: unknown, headers: Record<string, string>) => api.app.request('/v1/backfills', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const input = { symbols: ['BTCUSDT'], from: '2024-01-01', to: '2024-01-02' };
    await expectProblem(await post(input, {}), 401);
    await expectProblem(await post(input, { 'x-api-key': TEST_READ_KEY }), 403);
    await expectProblem(await post({ ...input, symbols: ['btc usdt'] }, { 'x-api-key': TEST_API_KEY }), 400, 'symbols.0');
    await expectProblem(await post({ ...input, from: '2024-02-01' }, { 'x-api-key': TEST_API_KEY }), 400, 'from');
    const down = await expectProblem(await post(input, { 'x-api-key': TEST_API_KEY }), 503);
    expect(down.dependency).toBe('temporal');
    await expectProblem(await api.app.request('/v1/backfills/backfill-x', { headers: { 'x-api-key': TEST_API_KEY } }), 503);
    await expectProblem(await api.app.request('/v1/backfills/bad%20id', { headers: { 'x-api-key': TEST_API_KEY } }), 400, 'id');
  });
});

describe('keys, rate limits and CORS by configuration', () => {
  it('reads keyed by configuration: 401 without, 403 unknown, 200 with a read key', async () => {
    const keyed = await createTestApi({ lakeDir: lake.dir, env: { API_READS_REQUIRE_KEY: 'true' } });
    await expectProblem(await keyed.app.request('/v1/symbols'), 401);
    expect((await keyed.app.request('/v1/symbols')).headers.get('www-authenticate')).toMatch(/Bearer/);
    await expectProblem(await keyed.app.request('/v1/symbols', { headers: { authorization: 'Bearer nope' } }), 403);
    expect((await keyed.app.request('/v1/symbols', { headers: { authorization: `Bearer ${TEST_READ_KEY}` } })).status).toBe(200);
    expect((await keyed.app.request('/health')).status).toBe(200);
    keyed.close();
  });

  it('write routes are disabled (403) when no API_KEYS are configured', async () => {
    const open = await createTestApi({ lakeDir: lake.dir, env: { API_KEYS: '' } });
    const res = await open.app.request('/v1/sql', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'anything' }, body: '{"sql":"SELECT 1"}' });
    await expectProblem(res, 403);
    open.close();
  });

  it('429 with Retry-After past the per-key limit, counted per key; RateLimit-* headers on every /v1 answer', async () => {
    const limited = await createTestApi({ lakeDir: lake.dir, env: { API_RATE_LIMIT_PER_MINUTE: '3' } });
    const hit = (key: string) => limited.app.request('/v1/symbols', { headers: { 'x-api-key': key } });
    for (let i = 0; i < 3; i++) {
      const ok = await hit(TEST_READ_KEY);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-policy')).toBe('3;w=60');
      expect(ok.headers.get('ratelimit-limit')).toBe('3');
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(2 - i));
      expect(Number(ok.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    }
    const res = await hit(TEST_READ_KEY);
    const problem = await expectProblem(res, 429);
    expect(problem.title).toBe('Too many requests');
    expect(problem.retry_after).toBe(20);
    expect(res.headers.get('retry-after')).toBe('20');
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
    expect(res.headers.get('ratelimit-reset')).toBe('60');
    expect((await hit(TEST_API_KEY)).status).toBe(200);
    // Keys the server does not know share the client address's bucket: made-up keys buy nothing.
    for (let i = 0; i < 3; i++) expect((await hit(`made-up-${i}`)).status).toBe(200);
    await expectProblem(await hit('made-up-3'), 429);
    await expectProblem(await limited.app.request('/v1/symbols'), 429);
    // Outside /v1 (health, docs, the page) nothing is limited.
    expect((await limited.app.request('/health/live')).status).toBe(200);
    limited.close();
  });

  it('CORS headers for the configured origins', async () => {
    const cors = await createTestApi({ lakeDir: lake.dir, env: { API_CORS_ORIGINS: 'https://dash.example' } });
    const res = await cors.app.request('/v1/symbols', { headers: { origin: 'https://dash.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://dash.example');
    expect(res.headers.get('access-control-expose-headers')).toMatch(/ETag/);
    const other = await cors.app.request('/v1/symbols', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    cors.close();
  });
});
