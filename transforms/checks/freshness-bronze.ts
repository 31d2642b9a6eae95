/** freshness_bronze: every live symbol's newest trade was received within `maxLagMinutes` (default 5) of now. */
import { defineFreshnessCheck } from './freshness.ts';

export const freshnessBronze = defineFreshnessCheck({
  name: 'freshness_bronze',
  table: 'bronze/trades',
  description: "Each live symbol's newest bronze trade was received no more than maxLagMinutes before now.",
  view: 'bronze_trades',
  newestColumn: 'received_at',
  eventTimeColumn: 'trade_time',
  liveFrom: 'bronze',
  defaultMaxLagMinutes: 5,
});
