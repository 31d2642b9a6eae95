/** The checks `marketlake quality run` and the `qualityChecks` workflow run, in this order (cheap and structural first). */
import type { QualityCheck } from './check.ts';
import { candleUniqueness } from './candle-uniqueness.ts';
import { candleValidity } from './candle-validity.ts';
import { crossSourcePrice } from './cross-source-price.ts';
import { freshnessBronze } from './freshness-bronze.ts';
import { freshnessSilver } from './freshness-silver.ts';
import { missingMinutes } from './missing-minutes.ts';
import { rollupMatches1m } from './rollup-matches-1m.ts';
import { schemaCheck } from './schema.ts';
import { silverMatchesBronze } from './silver-matches-bronze.ts';
import { tradeIdGaps } from './trade-id-gaps.ts';
import { tradeUniqueness } from './trade-uniqueness.ts';
import { volumeCandles } from './volume-candles.ts';
import { volumeTrades } from './volume-trades.ts';

export const ALL_CHECKS: readonly QualityCheck[] = [
  schemaCheck,
  freshnessSilver,
  freshnessBronze,
  volumeTrades,
  volumeCandles,
  tradeUniqueness,
  candleUniqueness,
  candleValidity,
  silverMatchesBronze,
  rollupMatches1m,
  missingMinutes,
  tradeIdGaps,
  crossSourcePrice,
] as QualityCheck[];
