/**
 * The Kafka side of every producer: validates each event against its topic's schema, buffers
 * it in a bounded queue, and sends batches with one idempotent kafkajs producer.
 *
 * - Invalid events go to `market.deadletter.v1` with the reason and the raw bytes; never a throw.
 * - A full buffer makes `publish` wait (backpressure): a slow or unreachable broker slows the
 *   source down, nothing is dropped. Retriable send failures put the batch back at the front of
 *   the buffer and retry it, so order per key is kept.
 * - One send is in flight at a time: kafkajs's idempotent producer numbers each partition's
 *   batches when it sends them, and concurrent sends to one partition break that sequence.
 *   Batches are large instead (thousands of events), which is what throughput needs anyway.
 * - The kafkajs producer runs on a worker thread of its own (publishing/sender-thread.ts) unless
 *   `senderThread: false`: its record encoding then runs beside the sources, not in turns.
 * - `close()` flushes within a deadline, then counts, logs and returns what was not delivered.
 */
import { performance } from 'node:perf_hooks';
import { inspect } from 'node:util';
import { Registry } from 'prom-client';
import { deadLetter as buildDeadLetter, type DeadLetter } from '../common/events/index.ts';
import type { Logger } from '../common/logger.ts';
import type { HealthReport } from '../common/observability-server.ts';
import { TOPICS, type TopicName } from '../common/topics.ts';
import type { EventSink } from './event-sink.ts';
import { InProcessSender, type BatchSender, type OutgoingMessage, type PublisherCompression } from './publishing/batch-sender.ts';
import { SenderThread } from './publishing/sender-thread.ts';
import { BoundedBuffer, BufferClosedError } from './publishing/bounded-buffer.ts';
import { DEFAULT_ENCODERS, type EventEncoder, type PublishTopic } from './publishing/event-encoders.ts';
import { publisherMetrics, type PublisherMetrics } from './publishing/publisher-metrics.ts';
import { isRetriableSendError } from './publishing/send-errors.ts';

export type { PublisherCompression } from './publishing/batch-sender.ts';

export interface KafkaPublisherOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** The publisher's name: the `stage` of its dead letters and the default `source` label. */
  readonly name: string;
  readonly logger: Logger;
  readonly registry?: Registry;
  /** Physical topic per logical topic (tests publish to throw-away topics). */
  readonly topicNames?: Partial<Record<PublishTopic, string>>;
  /** Extra or replacement encoders, for topics whose schema is not in common/events. */
  readonly encoders?: Partial<Record<string, EventEncoder>>;
  /** Buffer bounds: `publish` waits while either is reached. */
  readonly bufferEvents?: number;
  readonly bufferBytes?: number;
  /** Upper bounds of one Kafka send. batchBytes stays under the broker's 1 MB message.max.bytes. */
  readonly batchEvents?: number;
  readonly batchBytes?: number;
  /** How long the sender waits for a batch to fill before sending a smaller one. */
  readonly lingerMs?: number;
  readonly compression?: PublisherCompression;
  /**
   * Run the kafkajs producer on a worker thread of its own (default true), so that record
   * encoding does not take turns with the sources on one core (publishing/batch-sender.ts).
   */
  readonly senderThread?: boolean;
  /**
   * How long sends may keep failing (broker down, unreachable) before the batch is given up as
   * undelivered. Until then it is resent with backoff, in order, and the buffer's backpressure
   * holds the source. Default 15 minutes.
   */
  readonly maxOutageMs?: number;
  /** Largest single event; bigger ones are dead-lettered instead of failing a whole batch. */
  readonly maxEventBytes?: number;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Called with each delivered event's publish-to-ack latency in ms (benchmarks want exact percentiles). */
  readonly onDeliveryLatency?: (ms: number) => void;
}

export interface PublishReport {
  /** Valid events taken into the buffer (dead letters included). */
  readonly accepted: number;
  /** Acknowledged by Kafka. */
  readonly delivered: number;
  /** Sent to the dead-letter topic instead of their own (invalid or oversized). */
  readonly deadLettered: number;
  /** Accepted but not acknowledged when the publisher gave up (close deadline, permanent errors). */
  readonly undelivered: number;
  /** publish() calls refused because the publisher was closed (their callers got an error). */
  readonly refused: number;
  readonly sendErrors: number;
  /** Events still in the buffer right now. */
  readonly buffered: number;
}

export class PublisherClosedError extends BufferClosedError {
  constructor() {
    super('the Kafka publisher is closed: the event was not accepted');
    this.name = 'PublisherClosedError';
  }
}

interface Series {
  readonly topic: string;
  readonly source: string;
  readonly symbol: string;
  acceptedDelta: number;
  deliveredDelta: number;
}

interface Entry {
  readonly topic: string;
  readonly key: string;
  readonly json: string;
  readonly bytes: number;
  readonly enqueuedAt: number;
  readonly series: Series;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** What `publish` returns when the event went straight into the buffer. */
const RESOLVED: Promise<void> = Promise.resolve();

function rawBytesOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? inspect(value);
  } catch {
    return inspect(value, { depth: 6 });
  }
}

export class KafkaPublisher implements EventSink {
  readonly name: string;
  private readonly logger: Logger;
  /** kafkajs, on its own thread or this one (publishing/batch-sender.ts). */
  private readonly kafkaSender: BatchSender;
  private readonly buffer: BoundedBuffer<Entry>;
  private readonly metrics: PublisherMetrics;
  private readonly encoders: Partial<Record<string, EventEncoder>>;
  private readonly topicNames: Partial<Record<string, string>>;
  private readonly batchEvents: number;
  private readonly batchBytes: number;
  private readonly lingerMs: number;
  private readonly maxEventBytes: number;
  private readonly series = new Map<string, Map<string, Map<string, Series>>>();
  private readonly latencyByTopic = new Map<string, { observe(v: number): void }>();

  private connected = false;
  private closing = false;
  /** Set when close() gives up waiting: the sender stops retrying. */
  private abandoned = false;
  private wakeClosing: () => void = () => undefined;
  private readonly closingSignal = new Promise<void>((resolve) => {
    this.wakeClosing = resolve;
  });
  private senderLoop: Promise<void> | undefined;
  private inFlight: Entry[] = [];
  private lastSendError: { at: number; message: string } | undefined;
  /** When sends started failing without a success since (an outage), for the outage bound. */
  private failingSince: number | undefined;
  private closed: Promise<PublishReport> | undefined;

  private accepted = 0;
  private delivered = 0;
  private deadLettered = 0;
  private undelivered = 0;
  private refused = 0;
  private sendErrors = 0;
  private reportedWaitMs = 0;

  constructor(private readonly opts: KafkaPublisherOptions) {
    this.name = opts.name;
    this.logger = opts.logger.child({ component: 'kafka-publisher', publisher: opts.name });
    this.encoders = { ...DEFAULT_ENCODERS, ...opts.encoders };
    this.topicNames = opts.topicNames ?? {};
    this.batchEvents = opts.batchEvents ?? 5_000;
    this.batchBytes = opts.batchBytes ?? 900_000;
    this.lingerMs = opts.lingerMs ?? 5;
    this.maxEventBytes = opts.maxEventBytes ?? 512 * 1024;
    this.buffer = new BoundedBuffer<Entry>(opts.bufferEvents ?? 100_000, opts.bufferBytes ?? 64 * 1024 * 1024);
    const senderOptions = {
      clientId: opts.clientId ?? `marketlake-${opts.name}`,
      brokers: [...opts.brokers],
      connectionTimeoutMs: opts.connectionTimeoutMs ?? 3_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
      compression: opts.compression ?? 'none',
    };
    this.kafkaSender = opts.senderThread === false ? new InProcessSender(senderOptions, this.logger) : new SenderThread(senderOptions, this.logger);
    this.metrics = publisherMetrics(opts.registry ?? new Registry());
    const publisherLabel = { publisher: opts.name };
    const buffer = this.buffer;
    // Gauges read at scrape time, so the hot path never touches them.
    this.metrics.bufferDepth.set(publisherLabel, 0);
    this.metrics.bufferBytes.set(publisherLabel, 0);
    // From 0, so that "never waited" is a series the Pipeline board can show, not a gap.
    this.metrics.backpressureSeconds.inc(publisherLabel, 0);
    this.refreshGauges = () => {
      this.metrics.bufferDepth.set(publisherLabel, buffer.size + this.inFlight.length);
      this.metrics.bufferBytes.set(publisherLabel, buffer.bytes);
      const waited = buffer.waitedMs - this.reportedWaitMs;
      if (waited > 0) {
        this.metrics.backpressureSeconds.inc(publisherLabel, waited / 1000);
        this.reportedWaitMs = buffer.waitedMs;
      }
    };
  }

  private readonly refreshGauges: () => void;

  /** Starts sending in the background; connecting is retried until it works or close() is called. */
  start(): this {
    this.senderLoop ??= this.runSender().catch((err: unknown) => {
      // The loop catches everything it expects; reaching here is a bug, so make it loud.
      this.logger.error({ err }, 'publisher sender loop failed');
    });
    return this;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * `topic` may also be `market.gaps.v1` (see common/events/gap.ts) or a topic given in `encoders`.
   * Not `async`: while the buffer has room the event goes in at once and the returned promise is
   * one shared resolved promise (no promise chain per event on the hot path). Never throws;
   * failures come back as a rejected promise.
   */
  publish(topic: TopicName | PublishTopic | (string & {}), key: string, value: object, origin?: string): Promise<void> {
    try {
      const encoder = this.encoders[topic];
      const encoded = encoder ? encoder(value) : ({ ok: false, reason: `no schema is known for topic ${topic}` } as const);
      if (!encoded.ok) return this.deadLetterInvalid(topic, key, value, encoded.reason, origin);
      if (encoded.json.length > this.maxEventBytes) {
        return this.deadLetterInvalid(topic, key, value, `event of ${encoded.json.length} bytes exceeds the ${this.maxEventBytes}-byte limit`, origin);
      }
      return this.enqueue(topic, key, encoded.json, origin ?? this.name);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    // Counted in metrics and logged: a person reading the log sees what was set aside and why.
    this.logger.warn({ stage: letter.stage, origin: letter.origin, sourceTopic: letter.sourceTopic, offset: letter.offset, reason: letter.reason, bytes: Math.floor((letter.rawBase64.length * 3) / 4) }, 'dead-lettered');
    const encoded = this.encoders[TOPICS.deadletter]!(letter);
    const key = letter.origin ?? letter.stage;
    if (!encoded.ok) {
      // A dead letter that is itself malformed: wrap it in a well-formed one rather than lose it.
      const wrapped = buildDeadLetter({ stage: this.name, reason: `malformed dead letter (${encoded.reason})`, raw: rawBytesOf(letter) });
      await this.enqueueDeadLetter(key, JSON.stringify(wrapped), letter.stage);
      return;
    }
    await this.enqueueDeadLetter(key, encoded.json, letter.stage);
  }

  private async deadLetterInvalid(topic: string, key: string, value: unknown, reason: string, origin?: string): Promise<void> {
    let raw = rawBytesOf(value);
    if (raw.length > this.maxEventBytes) raw = `${raw.slice(0, this.maxEventBytes)}…(truncated from ${raw.length} bytes)`;
    const letter = buildDeadLetter({ stage: this.name, reason: `invalid event for ${topic} (key ${key}): ${reason}`, raw, origin });
    this.logger.warn({ topic, key, origin, reason }, 'invalid event dead-lettered');
    await this.enqueueDeadLetter(key, JSON.stringify(letter), origin ?? this.name);
  }

  private async enqueueDeadLetter(key: string, json: string, source: string): Promise<void> {
    this.deadLettered += 1;
    this.metrics.deadLetters.inc({ source, topic: TOPICS.deadletter });
    await this.enqueue(TOPICS.deadletter, key, json, source);
  }

  private seriesFor(topic: string, source: string, key: string): Series {
    // Nested maps, no string building: this runs once per event.
    let bySource = this.series.get(topic);
    if (!bySource) this.series.set(topic, (bySource = new Map()));
    let byKey = bySource.get(source);
    if (!byKey) bySource.set(source, (byKey = new Map()));
    let s = byKey.get(key);
    if (!s) {
      const colon = key.indexOf(':');
      s = { topic, source, symbol: colon >= 0 ? key.slice(colon + 1) : key, acceptedDelta: 0, deliveredDelta: 0 };
      byKey.set(key, s);
    }
    return s;
  }

  private enqueue(topic: string, key: string, json: string, source: string): Promise<void> {
    if (this.closing) {
      this.refused += 1;
      return Promise.reject(new PublisherClosedError());
    }
    if (!this.senderLoop) this.start();
    const series = this.seriesFor(topic, source, key);
    const entry: Entry = { topic, key, json, bytes: json.length + key.length, enqueuedAt: performance.now(), series };
    let taken: boolean;
    try {
      taken = this.buffer.tryPush(entry);
    } catch (err) {
      return Promise.reject(this.refusal(err));
    }
    if (!taken) return this.enqueueWhenRoom(entry);
    this.accepted += 1;
    series.acceptedDelta += 1;
    return RESOLVED;
  }

  /** The slow path: the buffer is full (backpressure), so the caller waits for room. */
  private async enqueueWhenRoom(entry: Entry): Promise<void> {
    try {
      await this.buffer.push(entry);
    } catch (err) {
      throw this.refusal(err);
    }
    this.accepted += 1;
    entry.series.acceptedDelta += 1;
  }

  private refusal(err: unknown): unknown {
    this.refused += 1;
    return err instanceof BufferClosedError ? new PublisherClosedError() : err;
  }

  private async connectUntilDone(): Promise<void> {
    let delayMs = 250;
    while (!this.connected && !this.abandoned) {
      try {
        await this.kafkaSender.connect();
        this.connected = true;
        this.logger.info({ brokers: this.opts.brokers }, 'connected to Kafka');
      } catch (err) {
        this.sendErrors += 1;
        this.metrics.sendErrors.inc({ kind: 'connect' });
        this.lastSendError = { at: Date.now(), message: (err as Error).message };
        this.logger.warn({ err: (err as Error).message, retryInMs: delayMs, buffered: this.buffer.size }, 'cannot reach Kafka; retrying');
        await Promise.race([sleep(delayMs), this.closingSignal]);
        delayMs = Math.min(delayMs * 2, 5_000);
      }
    }
  }

  private async runSender(): Promise<void> {
    let retryDelayMs = 100;
    // Connect at once rather than on the first event, so /health tells the truth from the start.
    await this.connectUntilDone();
    for (;;) {
      if (this.abandoned) return;
      // A batch that failed is resent alone and unchanged (inFlight), never merged with newer
      // events: the broker recognises a resent idempotent batch only by its exact boundaries
      // (same first sequence number, same count), so one it had written before the failure is
      // acknowledged, not written twice or refused as out of order.
      const retrying = this.inFlight.length > 0;
      if (!retrying && this.buffer.size === 0) {
        if (this.closing) return;
        await this.buffer.waitForData(1_000);
        continue;
      }
      if (!this.connected) {
        await this.connectUntilDone();
        continue;
      }
      // Let a batch fill up unless it is full already or we are flushing on close.
      if (!retrying && !this.closing && this.buffer.size < this.batchEvents && this.buffer.bytes < this.batchBytes && this.lingerMs > 0) {
        await Promise.race([sleep(this.lingerMs), this.closingSignal]);
      }
      const batch = retrying ? this.inFlight : this.buffer.take(this.batchEvents, this.batchBytes);
      this.inFlight = batch;
      try {
        await this.kafkaSender.send(this.toOutgoing(batch));
        // After close() gave up, this batch is already reported as undelivered.
        if (this.abandoned) return;
        this.inFlight = [];
        this.onDelivered(batch);
        retryDelayMs = 100;
        if (this.failingSince !== undefined) {
          this.logger.info({ outageMs: Date.now() - this.failingSince }, 'Kafka takes batches again; resumed from the first unacknowledged one');
          this.failingSince = undefined;
        }
      } catch (err) {
        if (this.abandoned) return; // counted as undelivered by close()
        const error = err as Error;
        this.sendErrors += 1;
        this.lastSendError = { at: Date.now(), message: error.message };
        this.metrics.sendErrors.inc({ kind: error.name ?? 'Error' });
        this.failingSince ??= Date.now();
        const outageMs = Date.now() - this.failingSince;
        const maxOutageMs = this.opts.maxOutageMs ?? 15 * 60_000;
        if (!isRetriableSendError(error)) {
          this.inFlight = [];
          this.giveUp(batch, error.message);
        } else if (outageMs > maxOutageMs) {
          this.inFlight = [];
          this.giveUp(batch, `Kafka failed every send for ${Math.round(outageMs / 1000)} s (more than ${Math.round(maxOutageMs / 1000)} s): ${error.message}`);
        } else {
          // Resent first, in order: kafkajs's idempotent producer numbers it as before, so a batch
          // the broker had written before the failure is not written twice.
          this.logger.warn({ err: error.message, batch: batch.length, retryInMs: retryDelayMs, outageS: Math.round(outageMs / 1000) }, 'Kafka send failed; retrying the batch');
          // batch stays in inFlight: the next turn resends exactly it. The backoff holds during
          // close() too (its deadline ends the wait), so a broker that is down is not hammered.
          await sleep(retryDelayMs);
          retryDelayMs = Math.min(retryDelayMs * 2, 5_000);
        }
      }
    }
  }

  private toOutgoing(batch: readonly Entry[]): OutgoingMessage[] {
    const out: OutgoingMessage[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i];
      out[i] = { topic: this.topicNames[e.topic] ?? e.topic, key: e.key, json: e.json };
    }
    return out;
  }

  private onDelivered(batch: readonly Entry[]): void {
    const now = performance.now();
    let lastTopic = '';
    let latency: { observe(v: number): void } | undefined;
    for (const e of batch) {
      e.series.deliveredDelta += 1;
      if (e.topic !== lastTopic) {
        lastTopic = e.topic;
        latency = this.latencyByTopic.get(e.topic);
        if (!latency) this.latencyByTopic.set(e.topic, (latency = this.metrics.deliveryLatency.labels(e.topic)));
      }
      const ms = now - e.enqueuedAt;
      latency!.observe(ms / 1000);
      this.opts.onDeliveryLatency?.(ms);
    }
    this.delivered += batch.length;
    this.metrics.batchSize.observe(batch.length);
    this.flushSeriesCounters();
  }

  private flushSeriesCounters(): void {
    for (const bySource of this.series.values()) {
      for (const s of [...bySource.values()].flatMap((byKey) => [...byKey.values()])) {
        if (s.acceptedDelta > 0) {
          this.metrics.accepted.inc({ topic: s.topic, source: s.source, symbol: s.symbol }, s.acceptedDelta);
          s.acceptedDelta = 0;
        }
        if (s.deliveredDelta > 0) {
          this.metrics.delivered.inc({ topic: s.topic, source: s.source, symbol: s.symbol }, s.deliveredDelta);
          s.deliveredDelta = 0;
        }
      }
    }
    this.refreshGauges();
  }

  private giveUp(batch: readonly Entry[], reason: string): void {
    if (batch.length === 0) return;
    this.undelivered += batch.length;
    const byTopic = new Map<string, number>();
    for (const e of batch) byTopic.set(e.topic, (byTopic.get(e.topic) ?? 0) + 1);
    for (const [topic, n] of byTopic) this.metrics.undelivered.inc({ topic }, n);
    this.logger.error(
      { undelivered: batch.length, byTopic: Object.fromEntries(byTopic), firstKey: batch[0].key, lastKey: batch[batch.length - 1].key, reason },
      'events could not be delivered to Kafka',
    );
  }

  report(): PublishReport {
    return {
      accepted: this.accepted,
      delivered: this.delivered,
      deadLettered: this.deadLettered,
      undelivered: this.undelivered,
      refused: this.refused,
      sendErrors: this.sendErrors,
      buffered: this.buffer.size + this.inFlight.length,
    };
  }

  /** For /health: down while Kafka cannot be reached, degraded while the buffer is nearly full. */
  health(): HealthReport {
    this.refreshGauges();
    const buffered = this.buffer.size;
    const detail = `${buffered}/${this.buffer.maxItems} buffered, ${this.delivered} delivered`;
    if (this.closing) return { status: 'down', checks: { kafka: { status: 'down', detail: 'closing' } } };
    const broken = this.kafkaSender.failure;
    if (broken) return { status: 'down', checks: { kafka: { status: 'down', detail: `${broken.message}; ${detail}` } } };
    if (!this.connected) {
      const why = this.lastSendError ? `cannot reach Kafka: ${this.lastSendError.message}` : 'connecting to Kafka';
      return { status: 'down', checks: { kafka: { status: 'down', detail: `${why}; ${detail}` } } };
    }
    if (buffered >= this.buffer.maxItems * 0.9) {
      return { status: 'degraded', checks: { kafka: { status: 'degraded', detail: `buffer nearly full (${detail})` } } };
    }
    return { status: 'ok', checks: { kafka: { status: 'ok', detail } } };
  }

  /**
   * Stops accepting events, sends what is buffered within `timeoutMs`, disconnects, and returns
   * the final report. What is still unsent at the deadline is counted as undelivered and logged.
   */
  close(opts: { timeoutMs?: number } = {}): Promise<PublishReport> {
    this.closed ??= this.doClose(opts.timeoutMs ?? 30_000);
    return this.closed;
  }

  private async doClose(timeoutMs: number): Promise<PublishReport> {
    this.closing = true;
    this.buffer.close(new PublisherClosedError());
    this.wakeClosing();
    let timer: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([
      (this.senderLoop ?? Promise.resolve()).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!flushed) {
      this.abandoned = true;
      this.giveUp([...this.inFlight, ...this.buffer.drain()], `not delivered within the ${timeoutMs} ms close deadline`);
      this.inFlight = [];
    } else if (this.buffer.size > 0) {
      // The sender never started (start() not called): nothing was sent.
      this.giveUp(this.buffer.drain(), 'publisher closed before it was started');
    }
    try {
      await this.kafkaSender.disconnect();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'Kafka disconnect failed');
    }
    this.flushSeriesCounters();
    const report = this.report();
    const level = report.undelivered > 0 || report.refused > 0 ? 'error' : 'info';
    this.logger[level]({ report }, 'publisher closed');
    return report;
  }
}
