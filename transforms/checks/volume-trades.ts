/** volume_trades: bronze trades per symbol and hour against the trailing median of the same hour (a collapse or a burst). */
import { defineVolumeCheck } from './volume.ts';

export const volumeTrades = defineVolumeCheck({
  name: 'volume_trades',
  table: 'bronze/trades',
  description: 'Trades per symbol and hour within [collapseRatio, burstRatio] × the median of the same hour over the trailing days.',
  view: 'bronze_trades',
  timeColumn: 'trade_time',
  countSql: 'count(*)',
});
