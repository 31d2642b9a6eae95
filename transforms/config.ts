/**
 * Gold's tunable thresholds, from the environment (GOLD_*), parsed once with zod. Alerts read
 * them; changing one changes which alerts future builds raise (alerts already raised stay).
 */
import { z } from 'zod';
import { parseEnv } from '../common/config.ts';

const intervals = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.enum(['1m', '5m', '15m', '1h', '4h', '1d'])).min(1));

const kinds = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.enum(['sma_cross_up', 'sma_cross_down', 'macd_cross_up', 'macd_cross_down', 'rsi_overbought', 'rsi_oversold', 'bb_break_up', 'bb_break_down'])));

export const goldEnvSchema = z.object({
  /** A price spike: |z-score| of a window's log return against the previous GOLD_PRICE_SPIKE_WINDOW returns. */
  GOLD_PRICE_SPIKE_Z: z.coerce.number().positive().default(8),
  GOLD_PRICE_SPIKE_WINDOW: z.coerce.number().int().min(5).default(60),
  GOLD_PRICE_SPIKE_INTERVALS: intervals.default(['1m']),
  /** A volume surge: a window's volume over the median of the previous GOLD_VOLUME_SURGE_WINDOW volumes. */
  GOLD_VOLUME_SURGE_RATIO: z.coerce.number().positive().default(20),
  GOLD_VOLUME_SURGE_WINDOW: z.coerce.number().int().min(5).default(60),
  GOLD_VOLUME_SURGE_INTERVALS: intervals.default(['1m']),
  /** A whale trade: one trade worth at least this much in the quote currency. */
  GOLD_WHALE_MIN_QUOTE: z.coerce.number().positive().default(100_000),
  /** Which signals also become alerts, and at which intervals. */
  GOLD_ALERT_SIGNAL_KINDS: kinds.default(['sma_cross_up', 'sma_cross_down', 'macd_cross_up', 'macd_cross_down', 'rsi_overbought', 'rsi_oversold']),
  GOLD_ALERT_SIGNAL_INTERVALS: intervals.default(['1h', '4h', '1d']),
});

export type GoldEnv = z.infer<typeof goldEnvSchema>;

export interface GoldConfig {
  readonly priceSpike: { readonly zScore: number; readonly window: number; readonly intervals: readonly string[] };
  readonly volumeSurge: { readonly ratio: number; readonly window: number; readonly intervals: readonly string[] };
  readonly whaleMinQuote: number;
  readonly alertSignals: { readonly kinds: readonly string[]; readonly intervals: readonly string[] };
}

export function goldConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GoldConfig {
  const e = parseEnv(goldEnvSchema, env);
  return {
    priceSpike: { zScore: e.GOLD_PRICE_SPIKE_Z, window: e.GOLD_PRICE_SPIKE_WINDOW, intervals: e.GOLD_PRICE_SPIKE_INTERVALS },
    volumeSurge: { ratio: e.GOLD_VOLUME_SURGE_RATIO, window: e.GOLD_VOLUME_SURGE_WINDOW, intervals: e.GOLD_VOLUME_SURGE_INTERVALS },
    whaleMinQuote: e.GOLD_WHALE_MIN_QUOTE,
    alertSignals: { kinds: e.GOLD_ALERT_SIGNAL_KINDS, intervals: e.GOLD_ALERT_SIGNAL_INTERVALS },
  };
}

/** The defaults (no GOLD_* variables set). */
export const DEFAULT_GOLD_CONFIG: GoldConfig = goldConfigFromEnv({});
