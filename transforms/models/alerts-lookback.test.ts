/**
 * The alerts' lookback comes from the configured rolling windows: an incremental run reads (and a
 * changed day reaches) as many days as the day's first frame spans, with one window more for the
 * event-start rule, and no more (a fixed three days was both too short for windows of 1d and
 * three times the reads an hourly build needs for the default windows of 1m).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_GOLD_CONFIG, type GoldConfig } from '../config.ts';
import { ModelGraph } from '../graph.ts';
import { lookbackDaysOf } from '../model.ts';
import { MODELS } from './index.ts';
import { alertsLookbackDays, alertsModel } from './alerts.ts';

const withRules = (spike: Partial<GoldConfig['priceSpike']>, surge: Partial<GoldConfig['volumeSurge']> = {}): GoldConfig => ({
  ...DEFAULT_GOLD_CONFIG,
  priceSpike: { ...DEFAULT_GOLD_CONFIG.priceSpike, ...spike },
  volumeSurge: { ...DEFAULT_GOLD_CONFIG.volumeSurge, ...surge },
});

describe('alerts lookback', () => {
  it('is one day for the default 60 windows of 1m', () => {
    expect(alertsLookbackDays(DEFAULT_GOLD_CONFIG)).toBe(1);
    expect(lookbackDaysOf(alertsModel, DEFAULT_GOLD_CONFIG)).toBe(1);
  });

  it('spans the window and one more of the longest interval configured, in whole days', () => {
    // 61 hours: into the third day before.
    expect(alertsLookbackDays(withRules({ intervals: ['1m', '1h'] }))).toBe(3);
    // 23 hours + 1: exactly one day.
    expect(alertsLookbackDays(withRules({ window: 23, intervals: ['1h'] }))).toBe(1);
    expect(alertsLookbackDays(withRules({ window: 24, intervals: ['1h'] }))).toBe(2);
    expect(alertsLookbackDays(withRules({ intervals: ['4h'] }))).toBe(11);
    expect(alertsLookbackDays(withRules({ intervals: ['1m'] }, { window: 20, intervals: ['1d'] }))).toBe(21);
  });

  it('is what `transform list` prints for the configuration in force', () => {
    const line = (config: GoldConfig) => new ModelGraph(MODELS).describe(config).split('\n').find((l) => l.startsWith('alerts '));
    expect(line(DEFAULT_GOLD_CONFIG)).toMatch(/\(lookback 1 d\)$/);
    expect(line(withRules({ intervals: ['1h'] }))).toMatch(/\(lookback 3 d\)$/);
  });
});
