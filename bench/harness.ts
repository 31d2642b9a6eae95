import fs from 'node:fs';
import path from 'node:path';
import { referenceDataDir } from '../test/fixtures/paths.ts';

/**
 * The contract of a benchmark file: `bench/<name>.bench.ts` default-exports a `Benchmark`.
 * `run` measures ours and the reference in the same process and returns named figures plus the
 * ratios that the targets are stated in; `targets` lets the runner print pass or fail.
 */
export interface BenchContext {
  /** Kafka bootstrap servers of the stack the runner started (only when `needs` asks for it). */
  readonly kafkaBrokers?: string[];
  readonly temporalAddress?: string;
  /** A scratch directory removed after the run. */
  readonly workDir: string;
  log(message: string): void;
}

export interface BenchResult {
  /** Raw figures (rows/s, ms, bytes, ...), named with their unit. */
  readonly figures: Record<string, number>;
  /** Ratio name → value, each compared with its target. */
  readonly ratios?: Record<string, number>;
  /** Set when the benchmark could not run here (e.g. reference data absent): reported, not failed. */
  readonly skipped?: string;
}

/**
 * A benchmark's data from the full reference set (`MARKETLAKE_REFERENCE_DATA`, layout of
 * test/fixtures/), e.g. `referenceData('binance/btcusdt-spot-1m-klines-2024')`; or a `skipped`
 * result saying what is missing, for the benchmark to return instead of failing.
 */
export function referenceData(subPath: string): { path: string } | { skipped: BenchResult } {
  const root = referenceDataDir();
  const full = root && path.join(root, subPath);
  if (full && fs.existsSync(full)) return { path: full };
  const why = root ? `${subPath} is not in MARKETLAKE_REFERENCE_DATA=${root}` : `MARKETLAKE_REFERENCE_DATA is not set (it needs ${subPath})`;
  return { skipped: { figures: {}, skipped: why } };
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  readonly needs?: readonly ('kafka' | 'temporal')[];
  /** Ratio or figure name → { min | max }. */
  readonly targets?: Record<string, { min?: number; max?: number }>;
  run(ctx: BenchContext): Promise<BenchResult>;
}
