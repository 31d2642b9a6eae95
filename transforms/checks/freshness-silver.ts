/** freshness_silver: every live symbol's newest 1m candle ends within `maxLagMinutes` (default 10) of now. */
import { defineFreshnessCheck } from './freshness.ts';

export const freshnessSilver = defineFreshnessCheck({
  name: 'freshness_silver',
  table: 'silver/candles',
  description: "Each live symbol's newest 1m candle ends no more than maxLagMinutes before now.",
  view: 'silver_candles_all_revisions',
  newestColumn: 'window_end',
  eventTimeColumn: 'window_start',
  where: `"interval" = '1m'`,
  liveFrom: 'bronze and silver',
  defaultMaxLagMinutes: 10,
});
