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
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  readonly needs?: readonly ('kafka' | 'temporal')[];
  /** Ratio or figure name → { min | max }. */
  readonly targets?: Record<string, { min?: number; max?: number }>;
  run(ctx: BenchContext): Promise<BenchResult>;
}
