/**
 * The services `marketlake dev` runs after the stack is up, each as a child process running
 * one `marketlake` command. Every service adds itself here when it lands.
 */
import type { BaseConfig } from '../common/config.ts';

export interface DevService {
  readonly name: string;
  /** Arguments to `marketlake`, e.g. ['stream']. */
  readonly args: readonly string[];
  /** Where its /health answers, for the readiness wait and the printed summary. */
  readonly healthUrl: (config: BaseConfig) => string;
  /** A URL worth printing for a person (e.g. the API), if any. */
  readonly publicUrl?: (config: BaseConfig) => string;
}

export function devServices(_config: BaseConfig): DevService[] {
  return [];
}
