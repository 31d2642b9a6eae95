/**
 * What the stream publishes to Kafka: final candles, revisions and dead letters in order (one
 * idempotent producer, one send at a time), and provisional candle updates on a producer of their
 * own. Every send is cut into chunks that stay under the broker's 1 MB limit for a record batch.
 */
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { candleKey, type CandleEvent } from '../../common/events/candle.ts';

export interface KafkaMessage {
  readonly key: string;
  readonly value: string;
}

/** Chunks of a send stay under this many bytes (the broker's default limit is 1 MB per batch). */
export const SEND_CHUNK_BYTES = 512 * 1024;

export class CandlePublisher {
  private readonly producer: Producer;
  /**
   * Provisional updates only: their own connection and no queue behind the flush's sends (final
   * candles, dead letters), several requests in flight. An update is a snapshot of a forming
   * window that the next one supersedes, so neither idempotence nor strict order is needed.
   */
  private readonly provisionalProducer: Producer;
  private sendChain: Promise<unknown> = Promise.resolve();

  constructor(
    kafka: Kafka,
    private readonly candlesTopic: string,
    private readonly logger: Logger,
    private readonly provisional: boolean,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    this.provisionalProducer = kafka.producer({ maxInFlightRequests: 5, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    if (this.provisional) await this.provisionalProducer.connect();
  }

  /** Waits for the ordered sends in flight, then disconnects. */
  async disconnect(): Promise<void> {
    await this.sendChain.catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
    await this.provisionalProducer.disconnect().catch(() => undefined);
  }

  /** Disconnects at once (after a failure). */
  abort(): void {
    void this.producer.disconnect().catch(() => undefined);
    void this.provisionalProducer.disconnect().catch(() => undefined);
  }

  /** Final candles and revisions, in order. */
  publishCandles(candles: readonly CandleEvent[]): Promise<unknown> {
    return this.send(this.candlesTopic, candles.map(candleMessage));
  }

  /**
   * Provisional updates: fire and forget (the next update supersedes a lost one), in chunks by
   * bytes like every send, so a burst at replay speed is never over the broker's limit.
   */
  publishProvisional(candles: readonly CandleEvent[]): void {
    for (const chunk of chunksByBytes(candles.map(candleMessage))) {
      void this.provisionalProducer
        .send({ topic: this.candlesTopic, messages: chunk })
        .catch((err: Error) => this.logger.warn({ err: err.message, candles: chunk.length }, 'provisional candles not published'));
    }
  }

  /**
   * Publishes in order (one send at a time: the idempotent producer numbers batches per
   * partition), in chunks that stay under the broker's 1 MB limit for a record batch.
   */
  send(topic: string, messages: readonly KafkaMessage[]): Promise<unknown> {
    const p = this.sendChain.then(async () => {
      for (const chunk of chunksByBytes(messages)) await this.producer.send({ topic, messages: chunk });
    });
    this.sendChain = p.catch(() => undefined);
    return p;
  }
}

/** Consecutive runs of `messages` of at most SEND_CHUNK_BYTES each (a larger message goes alone). */
export function chunksByBytes<M extends KafkaMessage>(messages: readonly M[], limit = SEND_CHUNK_BYTES): M[][] {
  const chunks: M[][] = [];
  let chunk: M[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = Buffer.byteLength(m.key) + Buffer.byteLength(m.value) + 64;
    if (chunk.length > 0 && bytes + size > limit) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

export function candleMessage(c: CandleEvent): KafkaMessage {
  return { key: candleKey(c), value: JSON.stringify(c) };
}
