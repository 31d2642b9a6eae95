/**
 * The streaming folder's front door: what other folders (the CLI, benchmarks, test support,
 * workflows) use. See README.md in this folder for the service's rules and configuration.
 * Workflows' backfills compute silver from trades with this very CandleOperator.
 */
export { runStream } from './main.ts';
export { StreamService, type StreamServiceOptions, type StreamStatus, type InputKind } from './service/stream-service.ts';
export { CandleOperator, type CandleOperatorOptions, type AddOutcome } from './candles/candle-operator.ts';
export { recomputeCandles, recomputeCandlesSql, type RecomputedCandle } from './batch/recompute-candles.ts';
export { repairCandles } from './batch/repair-candles.ts';
export { SilverWriter, type OwnedCandle } from './service/silver-writer.ts';
