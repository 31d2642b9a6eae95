/**
 * The Binance live source for `marketlake produce binance` (producers/run-producer.ts):
 * `createBinanceProducer(loadBinanceConfig(env), sink, deps)`. Small trade-id gaps are filled
 * from the REST client at BINANCE_REST_BASE_URL unless BINANCE_WS_REPAIR=false.
 */
import type { EventSink } from '../event-sink.ts';
import type { SourceDeps } from '../polling/source.ts';
import { BinanceRestClient } from './rest-client.ts';
import { loadBinanceWsConfig, type BinanceWsConfig } from './ws-config.ts';
import { createBinanceWsProducer, type BinanceWsProducer } from './ws-producer.ts';

export * from './ws.ts';

export function loadBinanceConfig(env: NodeJS.ProcessEnv = process.env): BinanceWsConfig {
  return loadBinanceWsConfig(env);
}

export function createBinanceProducer(config: BinanceWsConfig, sink: EventSink, deps: SourceDeps): BinanceWsProducer {
  const rest = config.BINANCE_WS_REPAIR
    ? new BinanceRestClient({ baseUrl: config.BINANCE_REST_BASE_URL, logger: deps.logger, timeoutMs: config.BINANCE_WS_REPAIR_TIMEOUT_MS, retries: 2 })
    : undefined;
  return createBinanceWsProducer(config, sink, { ...deps, rest });
}
