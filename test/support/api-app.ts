/** The API app built over a real test lake (and optionally a real live feed / Temporal), for `app.request()` tests. */
import { Registry } from 'prom-client';
import { parseEnv } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { apiEnvSchema, type ApiConfig } from '../../api/config.ts';
import { createApp, type ApiApp } from '../../api/create-app.ts';
import type { ApiDeps } from '../../api/deps.ts';
import type { Backfills } from '../../api/backfills.ts';
import { LakeReader } from '../../api/lake-reader.ts';
import { SqlRunner } from '../../api/sql-runner.ts';
import type { LiveFeed } from '../../api/stream/live-feed.ts';

export const TEST_API_KEY = 'test-key-0123456789';
export const TEST_READ_KEY = 'read-key-0123456789';

export interface TestApi {
  readonly app: ApiApp;
  readonly deps: ApiDeps;
  readonly config: ApiConfig;
  close(): void;
}

export async function createTestApi(opts: { lakeDir: string; env?: Record<string, string>; feed?: LiveFeed; backfills?: Backfills }): Promise<TestApi> {
  const config = parseEnv(apiEnvSchema, {
    LAKE_DIR: opts.lakeDir,
    LOG_LEVEL: process.env.API_TEST_LOG ?? 'silent',
    API_KEYS: TEST_API_KEY,
    API_READ_KEYS: TEST_READ_KEY,
    API_LAKE_REFRESH_MS: '0',
    API_RATE_LIMIT_PER_MINUTE: '0',
    ...opts.env,
  });
  const lake = await LakeReader.open({ lake: config.LAKE_DIR, refreshMs: config.API_LAKE_REFRESH_MS, engines: 1 });
  const sql = await SqlRunner.open(lake.lake, { maxRows: config.API_SQL_MAX_ROWS, timeoutMs: config.API_SQL_TIMEOUT_MS, maxResultBytes: config.API_SQL_MAX_RESULT_BYTES }, { memoryLimit: config.API_SQL_MEMORY_LIMIT });
  const deps: ApiDeps = { config, lake, sql, feed: opts.feed, backfills: opts.backfills, logger: createLogger('api-test', (process.env.API_TEST_LOG as 'info') ?? 'silent'), registry: new Registry() };
  return {
    app: createApp(deps),
    deps,
    config,
    close: () => {
      lake.close();
      sql.close();
    },
  };
}

export const auth = { authorization: `Bearer ${TEST_API_KEY}` };
