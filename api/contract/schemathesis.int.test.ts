/**
 * The OpenAPI document holds: schemathesis (PyPI, in a cached venv made by ensure-venv.sh) fuzzes
 * the live API (a real server over a real lake written from the fixtures, a real Temporal for the
 * backfill routes) from /openapi.json and checks that no response is a server error and every
 * response conforms to the document (status code, content type, headers, body schema).
 * /v1/stream is left out: an event stream never ends, so it cannot be fuzzed request by request
 * (stream.int.test.ts covers it).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import { TemporalBackfills } from '../backfills.ts';
import { temporalAddress } from '../../test/infra.ts';
import { buildApiTestLake, type ApiTestLake } from '../../test/support/api-lake.ts';
import { TEST_API_KEY, createTestApi, type TestApi } from '../../test/support/api-app.ts';

let lake: ApiTestLake;
let api: TestApi;
let backfills: TemporalBackfills;
let server: ServerType;
let url: string;
let schemathesis: string;

beforeAll(async () => {
  schemathesis = execFileSync(path.join(import.meta.dirname, 'ensure-venv.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  lake = await buildApiTestLake();
  backfills = new TemporalBackfills({ address: temporalAddress(), namespace: 'default', taskQueue: 'api-contract-test', queryTimeoutMs: 500 });
  api = await createTestApi({ lakeDir: lake.dir, backfills, env: { API_SQL_TIMEOUT_MS: '2000' } });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: api.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 600_000);

afterAll(async () => {
  (server as unknown as { closeAllConnections?: () => void })?.closeAllConnections?.();
  server?.close();
  api?.close();
  await backfills?.close();
  lake?.cleanup();
});

it('schemathesis finds no server error and no response outside the OpenAPI document', async () => {
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-schemathesis-'));
  const junit = path.join(reportDir, 'junit.xml');
  const args = [
    'run',
    `${url}/openapi.json`,
    '--url',
    url,
    '--checks',
    'not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance',
    '--exclude-path',
    '/v1/stream',
    '--max-examples',
    process.env.SCHEMATHESIS_MAX_EXAMPLES ?? '10',
    '--header',
    `Authorization: Bearer ${TEST_API_KEY}`,
    '--phases',
    'examples,coverage,fuzzing',
    '--report',
    'junit',
    '--report-junit-path',
    junit,
    '--generation-deterministic',
    '--no-color',
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(schemathesis, args, { env: { ...process.env, SCHEMATHESIS_TELEMETRY: 'false', PYTHONUNBUFFERED: '1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (c) => resolve({ code: c, output: out }));
  });
  const tail = output.split('\n').slice(-80).join('\n');
  expect(code, tail).toBe(0);
  expect(output).toMatch(/passed/i);
  fs.rmSync(reportDir, { recursive: true, force: true });
}, 600_000);
