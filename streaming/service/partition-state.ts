/** The state of one topic-partition in this consumer, and what a flush takes from it (see partitions.ts). */
import type { TradeEvent } from '../../common/events/index.ts';
import type { JsonEventKind, JsonEventsBuilder } from '../../lake/index.ts';
import type { Decoded } from './decode.ts';

export type InputKind = 'trades' | 'tickers' | 'sentiment' | 'news';

export interface InputSpec {
  readonly kind: InputKind;
  readonly topic: string;
  readonly table: string;
  readonly decode: (raw: Buffer | null, nowMs: number) => Decoded<unknown>;
  /** How the bronze writer maps the event (its JSON is what gets buffered and written). */
  readonly event: JsonEventKind;
}

/** Where one topic-partition stands. */
export interface PartitionState {
  readonly input: InputSpec;
  readonly partition: number;
  readonly appId: string;
  /** Trades partitions only: our ownership claim in silver/candles (appId and epoch). */
  readonly silverAppId: string;
  silverEpoch: number | undefined;
  /** The lake's recorded next offset (what a fenced commit expects to find). */
  committed: number | undefined;
  /** Next offset to process (committed + what is buffered). */
  next: number | undefined;
  /** The JSON of the events buffered for bronze (the Kafka message values themselves). */
  rows: JsonEventsBuilder;
  /** Trades older than the operator's horizon, waiting for the bronze check at the flush. */
  tooLate: TradeEvent[];
  ready: boolean;
  seeked: boolean;
}

/** What one flush commits for one partition: its buffered rows up to `next`. */
export interface FlushUnit {
  readonly s: PartitionState;
  readonly rows: JsonEventsBuilder;
  readonly tooLate: TradeEvent[];
  readonly next: number;
  readonly expected: number | undefined;
}
