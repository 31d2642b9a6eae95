/**
 * Data-quality checks over the lake (issue 15). Each check is one file here, declaring the table
 * it guards, its severity, whether it blocks the gold build, and its thresholds (overridable by
 * `QUALITY_CONFIG`, see config.ts). Run them with `runQuality` (results into
 * gold/quality_results and gold/quality_failures, gauges into a registry) or, in front of a gold
 * build, `runBlockingChecks`.
 *
 * ```ts
 * const config = qualityConfigFromEnv(ALL_CHECKS);
 * const run = await runQuality({ lake, config, metrics: new QualityMetrics(registry) });
 * const failed = run.results.filter(isErrorFailure);
 * ```
 */
export { ALL_CHECKS } from './all-checks.ts';
export { CHECK_STATUSES, SEVERITIES, defineCheck, statusOf, type CheckContext, type CheckOutcome, type CheckResult, type CheckStatus, type LatestEvent, type QualityCheck, type QualityRun, type Severity } from './check.ts';
export {
  DEFAULT_MAX_FAILING_ROWS,
  mergeQualityConfigInputs,
  qualityConfigFromEnv,
  qualityConfigInputFromEnv,
  qualityConfigSchema,
  resolveQualityConfig,
  type ConfiguredCheck,
  type QualityConfig,
  type QualityConfigInput,
} from './config.ts';
export { QualityMetrics } from './metrics.ts';
export { QUALITY_FAILURES, QUALITY_RESULTS, QUALITY_TABLES, recordQualityRun } from './results-tables.ts';
export { UnknownCheckError, defaultContracts, isBlockingFailure, isErrorFailure, runChecks, selectChecks, type RunChecksOptions } from './runner.ts';
export { InvalidDateError, newestDataUs, openQualityEngine, runBlockingChecks, runQuality, scopeOfDates, type BlockingCheckOutcome, type DateRange, type RunQualityOptions } from './run-quality.ts';
/** Silver's exact VWAP in DuckDB SQL (quote volume / volume, rounded half-up to 16 places). */
export { vwapSql } from './sql.ts';
