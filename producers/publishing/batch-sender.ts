/**
 * Where the publisher's batches go: one kafkajs idempotent producer, either on the publisher's
 * own thread (InProcessSender) or on a worker thread of its own (SenderThread,
 * sender-thread.ts). kafkajs encodes every record in JavaScript (about 12 µs a message here), so
 * on the publisher's thread that encoding and the sources (simulator, websocket parsing,
 * validation) take turns on one core; on a worker they run side by side.
 */
import { CompressionTypes, Kafka, type logCreator, type logLevel, type Message, type Producer } from 'kafkajs';
import type { Logger } from '../../common/logger.ts';
import { kafkajsLevel, kafkajsLogCreator } from '../../common/kafkajs-logger.ts';
import { CachedDefaultPartitioner } from './cached-partitioner.ts';

export type PublisherCompression = 'none' | 'gzip';

export const COMPRESSION: Record<PublisherCompression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

/** One message as the publisher hands it over: its physical topic, key and JSON value. */
export interface OutgoingMessage {
  readonly topic: string;
  readonly key: string;
  readonly json: string;
}

export interface BatchSender {
  connect(): Promise<void>;
  /**
   * Sends one batch with acks=all. Rejects with kafkajs's error, or one with the same `name`,
   * `message` and `retriable` when it happened on another thread.
   */
  send(messages: readonly OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
  /** Set when the sender can no longer send at all (its thread died): every send fails. */
  readonly failure?: Error;
}

export interface SenderOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly compression: PublisherCompression;
}

/**
 * The producer every sender uses: idempotent, one request in flight (kafkajs numbers each
 * partition's batches when it sends them; concurrent sends to one partition break the sequence).
 */
export function createIdempotentProducer(opts: SenderOptions, level: logLevel, logs: logCreator): Producer {
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    connectionTimeout: opts.connectionTimeoutMs,
    requestTimeout: opts.requestTimeoutMs,
    // Each send fails within a few seconds while the broker is down (kafkajs's default keeps
    // retrying for ~20 s); the publisher resends with its own backoff, so that it notices a broker
    // that is back within seconds.
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
    logLevel: level,
    logCreator: logs,
  });
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: CachedDefaultPartitioner });
}

/** Groups a batch by topic, keeping each topic's messages in order. */
export function topicMessagesOf(count: number, topicAt: (i: number) => string, messageAt: (i: number) => Message): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (let i = 0; i < count; i++) {
    const topic = topicAt(i);
    let messages = byTopic.get(topic);
    if (!messages) byTopic.set(topic, (messages = []));
    messages.push(messageAt(i));
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** kafkajs on the caller's thread. */
export class InProcessSender implements BatchSender {
  private readonly producer: Producer;
  private readonly compression: CompressionTypes;

  constructor(opts: SenderOptions, logger: Logger) {
    this.producer = createIdempotentProducer(opts, kafkajsLevel(logger.level), kafkajsLogCreator(logger));
    this.compression = COMPRESSION[opts.compression];
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(messages: readonly OutgoingMessage[]): Promise<void> {
    const topicMessages = topicMessagesOf(messages.length, (i) => messages[i].topic, (i) => ({ key: messages[i].key, value: messages[i].json }));
    await this.producer.sendBatch({ topicMessages, acks: -1, compression: this.compression });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}
