/**
 * Gold transforms, the dbt way: one model a file under models/ (SQL over the lake views where
 * SQL fits, TypeScript where a recursion is needed), run in graph order, incrementally (only the
 * partitions whose inputs changed since the model last ran, from the Delta logs), each tested
 * before its one commit, each run recorded in `gold/transform_runs`.
 *
 * ```ts
 * const summary = await runTransforms(lake, MODELS, { select: ['indicators+'] });
 * console.log(formatRunSummary(summary));
 * ```
 *
 * `checks/`: the data-quality checks (issue 15), their runner, their result tables
 * (gold/quality_results, gold/quality_failures) and gauges; see checks/index.ts.
 */
export { MODELS } from './models/index.ts';
export { GOLD_INDICATORS, indicatorsModel } from './models/indicators.ts';
export { GOLD_INTERVALS, INTERVAL_MINUTES, goldCandlesSql, type GoldInterval } from './models/candles-sql.ts';
export { ModelGraph, UnknownModelError } from './graph.ts';
export { outputTableOf, type Model, type ModelTest, type BuildContext, type Materialization } from './model.ts';
export { ModelTestFailure, type TestResult } from './model-tests.ts';
export { txnAppId } from './plan.ts';
export { fileSplitSql, partitionsKeptByDay } from './month-partitions.ts';
export { runTransforms, keptEngineThreads, testModels, formatRunSummary, describePartitions, openGoldTable, type TransformRunOptions, type TransformRunSummary, type ModelRun, type ModelRunStatus } from './runner.ts';
export { TRANSFORM_RUNS } from './runs-table.ts';
export { changedInputDates, type ChangedDates } from './pending-changes.ts';
export { goldConfigFromEnv, goldEnvSchema, DEFAULT_GOLD_CONFIG, type GoldConfig } from './config.ts';
export type { Partition, PartitionSet } from './partitions.ts';
export { publishNewAlerts, kafkaAlertSender, alertsPublisherAppId, type AlertSender, type PublishAlertsResult } from './alerts-publisher.ts';
export { GOLD_ALERTS, alertsModel } from './models/alerts.ts';
export { GOLD_SIGNALS } from './models/signals.ts';
export { GOLD_WHALE_TRADES } from './models/whale-trades.ts';
export { GOLD_SENTIMENT } from './models/sentiment.ts';
export { GOLD_MARKET_SENTIMENT } from './models/market-sentiment.ts';
export { GOLD_MARKET_OVERVIEW } from './models/market-overview.ts';
export { GOLD_COVERAGE } from './models/coverage.ts';
export { minutesExpectedSql, silverMinuteCoverageSql } from './silver-coverage.ts';
export { ALERT_KINDS, type AlertKind } from './models/alert-columns.ts';
export * from './checks/index.ts';
