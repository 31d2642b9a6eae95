/**
 * The streaming service's public surface for the layers above it (workflows): the event-time
 * candle operator, so that a backfill computes silver from trades by the very code the stream
 * uses, and the batch recomputation from bronze.
 */
export { CandleOperator, fingerprint, type CandleOperatorOptions, type AddOutcome } from './candles/candle-operator.ts';
export { recomputeCandles, recomputeCandlesSql, type RecomputedCandle } from './batch/recompute-candles.ts';
export { candleToRow, rowToCandle, SILVER_CANDLE_COLUMNS } from './service/candle-rows.ts';
