/** What the app is built from (create-app.ts): everything with I/O is passed in, so tests pass real ones of their own. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Registry } from 'prom-client';
import type { Logger } from '../common/logger.ts';
import type { Backfills } from './backfills.ts';
import type { ApiConfig } from './config.ts';
import type { LakeReader } from './lake-reader.ts';
import type { SqlRunner } from './sql-runner.ts';
import type { LiveFeed } from './stream/live-feed.ts';

export interface ApiDeps {
  readonly config: ApiConfig;
  readonly lake: LakeReader;
  readonly sql: SqlRunner;
  /** The one live Kafka feed; undefined when the API runs without Kafka (API_STREAM_ENABLED=false). */
  readonly feed: LiveFeed | undefined;
  /** Temporal; undefined when not configured. */
  readonly backfills: Backfills | undefined;
  readonly logger: Logger;
  readonly registry: Registry;
}

/** Hono's environment for our handlers. */
export interface ApiEnv {
  Variables: {
    requestId: string;
    /** The API key the request authenticated with, if any. */
    apiKey: string | undefined;
  };
}

/** The app the routes register on (here beside ApiEnv, so that routes need not import create-app.ts, which imports them). */
export type ApiApp = OpenAPIHono<ApiEnv>;
