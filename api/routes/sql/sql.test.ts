/**
 * POST /v1/sql: answers, auth, limits, and the escape suite: every attempt to read outside the
 * lake, write, change settings, load code or exhaust the server is refused or stopped by a limit,
 * and afterwards nothing was written (the lake's files and a canary outside it are unchanged).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiTestLake, type ApiTestLake } from '../../../test/support/api-lake.ts';
import { TEST_API_KEY, TEST_READ_KEY, createTestApi, type TestApi } from '../../../test/support/api-app.ts';

let lake: ApiTestLake;
let api: TestApi;
let outside: string;
let canary: string;

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
}

beforeAll(async () => {
  lake = await buildApiTestLake();
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-api-outside-'));
  canary = path.join(outside, 'secret.csv');
  fs.writeFileSync(canary, 'secret\nTOP-SECRET-VALUE\n');
  api = await createTestApi({ lakeDir: lake.dir, env: { API_SQL_TIMEOUT_MS: '1500', API_SQL_MAX_ROWS: '1000', API_SQL_MAX_RESULT_BYTES: '200000', API_SQL_MAX_BODY_BYTES: '4096' } });
}, 120_000);

afterAll(() => {
  api?.close();
  lake?.cleanup();
  fs.rmSync(outside, { recursive: true, force: true });
});

const post = (sql: unknown, headers: Record<string, string> = { authorization: `Bearer ${TEST_API_KEY}` }, query = '') =>
  api.app.request(`/v1/sql${query}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(typeof sql === 'string' ? { sql } : sql) });

describe('POST /v1/sql', () => {
  it('runs one SELECT over the lake views, decimals exact', async () => {
    const res = await post(`SELECT count(*) AS n, max(high) AS high FROM silver_candles WHERE symbol = 'BTCUSDT' AND date = DATE '2024-01-02'`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.rows).toEqual([{ n: 1440, high: expect.stringMatching(/^\d+\.\d{8}$/) }]);
    expect(body.columns).toEqual([{ name: 'n', type: 'BIGINT' }, { name: 'high', type: 'DECIMAL(18,8)' }]);
    expect(body.truncated).toBe(false);
    expect(body.lake_versions.silver_candles).toBeGreaterThanOrEqual(0);
  });

  it('accepts X-API-Key and answers CSV', async () => {
    const res = await post(`SELECT 1 AS one`, { 'x-api-key': TEST_API_KEY }, '?format=csv');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('one\r\n1\r\n');
  });

  it('401 without a key, 403 with an unknown or read-only key', async () => {
    expect((await post('SELECT 1', {})).status).toBe(401);
    expect((await post('SELECT 1', { authorization: 'Bearer wrong' })).status).toBe(403);
    expect((await post('SELECT 1', { 'x-api-key': TEST_READ_KEY })).status).toBe(403);
  });

  it('400 naming the field for a bad body', async () => {
    const res = await post({ query: 'SELECT 1' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ parameter: 'sql' });
    const syntax = await post('SELEC 1');
    expect(syntax.status).toBe(422);
  });

  it('413 for a body above the limit', async () => {
    const res = await post(`SELECT '${'x'.repeat(5000)}' AS big`);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('cuts rows at the row limit and says so', async () => {
    const body = await (await post('SELECT window_start FROM silver_candles')).json();
    expect(body.row_count).toBe(1000);
    expect(body.truncated).toBe(true);
  });

  describe('escape suite', () => {
    const attempts: [string, string][] = [
      ['read a file outside the lake', `SELECT * FROM read_csv('${'CANARY'}')`],
      ['read a file outside the lake as text', `SELECT content FROM read_text('CANARY')`],
      ['read outside through a relative path from the lake', `SELECT * FROM read_csv('LAKE/../../../../../../CANARY')`],
      ['glob the file system', `SELECT * FROM glob('/etc/*')`],
      ['read /etc/passwd', `SELECT * FROM read_csv('/etc/passwd')`],
      ['replacement scan of a path', `SELECT * FROM 'CANARY'`],
      ['COPY to a file', `COPY (SELECT 1) TO 'OUTSIDE/x.csv'`],
      ['COPY into the lake', `COPY (SELECT 1 AS a) TO 'LAKE/silver/candles/evil.parquet' (FORMAT parquet)`],
      ['COPY from a file', `COPY silver_candles FROM 'CANARY'`],
      ['ATTACH a database', `ATTACH 'OUTSIDE/evil.duckdb' AS evil`],
      ['INSTALL an extension', `INSTALL httpfs`],
      ['LOAD an extension', `LOAD httpfs`],
      ['SET a setting', `SET enable_external_access = true`],
      ['RESET a setting', `RESET allowed_directories`],
      ['PRAGMA', `PRAGMA enable_external_access`],
      ['CREATE a table', `CREATE TABLE t AS SELECT 1`],
      ['DROP a view', `DROP VIEW silver_candles`],
      ['INSERT', `INSERT INTO silver_candles SELECT * FROM silver_candles LIMIT 1`],
      ['EXPORT DATABASE', `EXPORT DATABASE 'OUTSIDE/dump'`],
      ['multiple statements', `SELECT 1; SELECT 2`],
      ['a SELECT then a COPY', `SELECT 1; COPY (SELECT 1) TO 'OUTSIDE/y.csv'`],
      ['a CTE smuggling a COPY', `WITH x AS (SELECT 1) COPY (SELECT * FROM x) TO 'OUTSIDE/z.csv'`],
      ['setting through a table function', `SELECT * FROM duckdb_secrets()`],
      ['environment variables', `SELECT getenv('HOME') AS home`],
      ['a cross-join bomb', `SELECT count(*) FROM range(100000000) a, range(100000000) b`],
      ['a result too big for the byte limit', `SELECT repeat('x', 10000) AS s FROM range(100)`],
      ['a query closing the wrapper', `SELECT 1) AS q; COPY (SELECT 1) TO 'OUTSIDE/w.csv'; SELECT (1`],
    ];
    it.each(attempts)('%s: refused or stopped', async (_name, template) => {
      const before = listFiles(lake.dir);
      const sql = template.replaceAll('CANARY', canary).replaceAll('OUTSIDE', outside).replaceAll('LAKE', lake.dir);
      const t0 = Date.now();
      const res = await post(sql);
      const text = await res.text();
      if (res.status === 200) {
        // Only a harmless answer may pass: no secret, no file listing, no environment.
        expect(text).not.toContain('TOP-SECRET-VALUE');
        expect(text).not.toContain('/etc/');
        expect(text).not.toContain(os.homedir());
      } else {
        expect([400, 422]).toContain(res.status);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
      }
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(text).not.toContain('TOP-SECRET-VALUE');
      expect(listFiles(lake.dir)).toEqual(before);
      expect(fs.readdirSync(outside)).toEqual(['secret.csv']);
    });

    it('the cross-join bomb is stopped by the time limit', async () => {
      const res = await post(`SELECT count(*) FROM range(100000000) a, range(100000000) b`);
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({ reason: 'time-limit' });
      // And the engine still answers afterwards.
      expect((await post('SELECT 42 AS x')).status).toBe(200);
    });
  });
});

describe('POST /v1/sql bodies', () => {
  it('415 for a body that is not JSON, 400 for malformed JSON or none', async () => {
    const send = (body: string | undefined, type?: string) =>
      api.app.request('/v1/sql', { method: 'POST', headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(type ? { 'content-type': type } : {}) }, body });
    const plain = await send('{"sql":"SELECT 1"}', 'text/plain');
    expect(plain.status).toBe(415);
    expect(plain.headers.get('content-type')).toBe('application/problem+json');
    expect((await send(undefined)).status).toBe(415);
    const malformed = await send('{"sql": ', 'application/json');
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).parameter).toBe('body');
    expect((await send('', 'application/json')).status).toBe(400);
  });
});
