/** volume_candles: 1m candles per symbol and hour against the trailing median of the same hour (an hour that lost its candles). */
import { candleKeysSql } from './latest-candles.ts';
import { defineVolumeCheck } from './volume.ts';

export const volumeCandles = defineVolumeCheck({
  name: 'volume_candles',
  table: 'silver/candles',
  description: '1m candles per symbol and hour within [collapseRatio, burstRatio] × the median of the same hour over the trailing days.',
  view: 'silver_candles_all_revisions',
  // The run's materialised candles when they cover the history (every key is there), else silver.
  rows: (ctx, window) => candleKeysSql(ctx, window),
  timeColumn: 'window_start',
  countSql: 'count(DISTINCT window_start)',
  where: `"interval" = '1m'`,
});
