/**
 * The HTTP API (issue 16): `runApi()` (what `marketlake api` runs), `createApp(deps)` to build the
 * Hono app from its dependencies (tests call `app.request()` on it), its config and the live feed.
 */
export { runApi } from './main.ts';
export { createApp, type ApiApp } from './create-app.ts';
export { apiEnvSchema, loadApiConfig, type ApiConfig } from './config.ts';
export type { ApiDeps } from './deps.ts';
export { LakeReader } from './lake-reader.ts';
export { SqlRunner } from './sql-runner.ts';
export { LiveFeed } from './stream/live-feed.ts';
export { TemporalBackfills, BACKFILL_WORKFLOW_TYPE, BACKFILL_PROGRESS_QUERY, type Backfills } from './backfills.ts';
