/**
 * What the stream publishes to Kafka: final candles, revisions and dead letters in order (one
 * idempotent producer, one send at a time), and provisional candle updates on a producer of their
 * own. Every send is cut into chunks that stay under the broker's 1 MB limit for a record batch.
 *
 * A broker outage is ridden out: an ordered send that fails with a retriable error (kafkajs'
 * `retriable` flag, or its retries exhausted) is tried again with backoff for up to
 * `outageBudgetMs`; meanwhile the flush waits (bronze and silver are committed already, so nothing
 * is lost; the idempotent producer keeps the candles topic free of duplicates within a session).
 */
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { candleKey, type CandleEvent } from '../../common/events/index.ts';

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
  private closing = false;

  constructor(
    kafka: Kafka,
    private readonly candlesTopic: string,
    private readonly logger: Logger,
    private readonly provisional: boolean,
    private readonly outageBudgetMs = DEFAULT_OUTAGE_BUDGET_MS,
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
    this.closing = true;
    await this.sendChain.catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
    await this.provisionalProducer.disconnect().catch(() => undefined);
  }

  /** Disconnects at once (after a failure). */
  abort(): void {
    this.closing = true;
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

  /** One send, tried again with backoff while the broker is away (up to the outage budget). */
  private async sendRiding(topic: string, messages: KafkaMessage[]): Promise<void> {
    const t0 = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.producer.send({ topic, messages });
        if (attempt > 0) this.logger.warn({ topic, attempts: attempt + 1, outageMs: Date.now() - t0 }, 'Kafka is back: send went through');
        return;
      } catch (err) {
        if (this.closing || !isRetriableKafkaError(err) || Date.now() - t0 > this.outageBudgetMs) throw err;
        const waitMs = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
        this.logger.warn({ topic, err: (err as Error).message, attempt: attempt + 1, waitMs, outageMs: Date.now() - t0 }, 'Kafka unavailable: retrying the send');
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }

  /**
   * Publishes in order (one send at a time: the idempotent producer numbers batches per
   * partition), in chunks that stay under the broker's 1 MB limit for a record batch.
   */
  send(topic: string, messages: readonly KafkaMessage[]): Promise<unknown> {
    const p = this.sendChain.then(async () => {
      for (const chunk of chunksByBytes(messages)) await this.sendRiding(topic, chunk);
    });
    this.sendChain = p.catch(() => undefined);
    return p;
  }
}

/** Default of `outageBudgetMs`: how long a broker may be away before the stream gives up. */
export const DEFAULT_OUTAGE_BUDGET_MS = 15 * 60_000;

/** kafkajs marks errors worth retrying; exhausted retries wrap the last of them. */
export function isRetriableKafkaError(err: unknown): boolean {
  for (let e = err as { retriable?: boolean; name?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.retriable === true || e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSRequestTimeoutError') return true;
  }
  return false;
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
