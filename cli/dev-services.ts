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
  return [
    // `auto` probes Binance's REST ping: live Binance trades when reachable, the simulator otherwise.
    { name: 'producer', args: ['produce', 'auto'], healthUrl: (c) => `http://127.0.0.1:${c.PRODUCER_METRICS_PORT}/health` },
    // Kafka → bronze tables + event-time candles → silver/candles and market.candles.v1.
    { name: 'stream', args: ['stream'], healthUrl: (c) => `http://127.0.0.1:${c.STREAM_METRICS_PORT}/health` },
    // Temporal worker (queues marketlake and marketlake-backfill), its schedules, gap repair.
    { name: 'worker', args: ['worker'], healthUrl: (c) => `http://127.0.0.1:${c.WORKER_METRICS_PORT}/health`, publicUrl: (c) => `http://127.0.0.1:${c.TEMPORAL_UI_PORT}/namespaces/${c.TEMPORAL_NAMESPACE}/schedules` },
    // HTTP API, SSE, SQL, docs and the live chart page.
    { name: 'api', args: ['api'], healthUrl: (c) => `http://127.0.0.1:${c.API_PORT}/health`, publicUrl: (c) => `http://127.0.0.1:${c.API_PORT}/` },
  ];
}
