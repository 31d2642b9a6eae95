/**
 * Binance live trades over websockets: `runBinanceWs(loadBinanceWsConfig(), sink, { signal,
 * logger, registry, rest? })`. A KafkaPublisher that carries its gap events needs the extra
 * encoder below (market.gaps.v1 is not in common/topics.ts yet).
 */
import { TRADE_GAPS_TOPIC, tradeGapEventSchema } from '../../common/events/gap.ts';
import type { TopicName } from '../../common/topics.ts';
import { zodEncoder, type EventEncoder } from '../publishing/event-encoders.ts';

export { binanceWsEnvSchema, loadBinanceWsConfig, DEFAULT_BINANCE_SYMBOLS, type BinanceWsConfig } from './ws-config.ts';
export { createBinanceWsProducer, runBinanceWs, type BinanceWsDeps, type BinanceWsProducer } from './ws-producer.ts';
export type { AggTradesFetcher, AggTradesQuery } from './ws-gap-filler.ts';
export { TRADE_GAPS_TOPIC } from '../../common/events/gap.ts';

/** Pass as `encoders` to KafkaPublisher so that gap events are validated and sent. */
export const BINANCE_WS_ENCODERS: Partial<Record<TopicName, EventEncoder>> = {
  [TRADE_GAPS_TOPIC as unknown as TopicName]: zodEncoder(tradeGapEventSchema),
};
