/**
 * The producers' front door: what other folders (the CLI, benchmarks, tests and their support)
 * use of the producers. Everything else under producers/ is theirs alone (ARCHITECTURE.md,
 * "Floors and front doors").
 *
 * - `startProducer(name)`: one producer as a service (`marketlake produce <name>`).
 * - `replayArchive(file, sink, opts)`: a Binance trades/aggTrades archive to Kafka (`marketlake replay`).
 * - `KafkaPublisher` (an `EventSink`): validated, keyed, batched publishing with a dead-letter topic.
 * - `generateTrades` / `TradeSimulator`: deterministic synthetic trades.
 */
export { PRODUCER_NAMES, startProducer, type ProducerName, type RunningProducer } from './run-producer.ts';
export { createPublisher, loadProducerConfig, type ProducerConfig } from './producer-config.ts';
export { countCsvRows, parseReplaySpeed, replayArchive, tradesArchiveLayout, type ReplayOptions, type ReplayResult, type ReplaySpeed } from './replay.ts';
export { KafkaPublisher, PublisherClosedError, type KafkaPublisherOptions, type PublishReport, type PublisherCompression } from './kafka-publisher.ts';
export type { EventSink } from './event-sink.ts';
export { encodeTrade, type EventEncoder, type Encoded } from './publishing/event-encoders.ts';
export { runSimulator, type RunSimulatorOptions } from './simulator/run-simulator.ts';
export { generateTrades, TradeSimulator, type SimulatorOptions } from './simulator/trade-simulator.ts';
export type { AggTradesFetcher, AggTradesQuery } from './binance/ws-gap-filler.ts';
// Binance's REST API and data.binance.vision archives (backfills read them too).
export { BinanceRestClient, BinanceApiError, InvalidSymbolError, type BinanceRestOptions } from './binance/rest-client.ts';
export { readArchiveTrades, readArchiveKlines, type ReadArchiveOptions } from './binance/archive-reader.ts';
export { openArchive, extractCsvAsGzip, ArchiveError, ChecksumMismatchError } from './binance/archive-source.ts';
export { archiveFileName, archivePath, archiveUrl, parseArchiveFileName, type ArchiveFile, type ArchiveKind, type ArchivePeriod } from './binance/archive-layout.ts';
// RSS/Atom news as events (the API's fixtures build them the way the news producer does).
export { parseFeed, type ParsedFeed } from './news/feed-parser.ts';
export { toNewsEvent } from './news/news-producer.ts';
