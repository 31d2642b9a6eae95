/**
 * The API's ONE Kafka consumer (per process) for the live topics: trades, candles and alerts.
 * Every SSE client is a listener on it, never a consumer of its own. The feed keeps the newest
 * events in a bounded in-memory ring (arrival order), so a client reconnecting with
 * `Last-Event-ID` is replayed from memory; positions older than the ring (or from before this
 * process started) are re-read from Kafka for that client with a short-lived reader. It also
 * keeps the latest trade and candle per symbol for /v1/prices and the forming candle of /v1/ohlc.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type EachBatchPayload } from 'kafkajs';
import { Histogram, type Registry } from 'prom-client';
import type { Logger } from '../../common/logger.ts';
import type { CandleEvent, TradeEvent } from '../../common/events/index.ts';
import { CHANNELS, LivePosition, partitionKey, type Channel, type Position, type PositionAround } from './position.ts';

/**
 * One event of the feed. Kept by the thousands (the replay ring holds 200k), so it holds no text
 * of its own: the Kafka value stays the bytes kafkajs received (off the JavaScript heap, which the
 * garbage collector would otherwise copy and mark for every event kept), and its SSE id is
 * written when asked from the position text it shares with its batch.
 */
export class FeedEvent {
  constructor(
    readonly channel: Channel,
    readonly partition: number,
    readonly offset: number,
    /** Upper-case symbol, when the event has one. */
    readonly symbol: string | undefined,
    /** The Kafka value as received (JSON). */
    readonly value: Buffer,
    /** When the feed received it (ms). */
    readonly receivedAt: number,
    private readonly position: PositionAround,
  ) {}

  /** The position after this event: the SSE id. */
  get id(): string {
    return this.position.before + (this.offset + 1) + this.position.after;
  }

  /** The Kafka value as text. */
  get json(): string {
    return this.value.toString('utf8');
  }
}

export interface LiveFeedOptions {
  readonly brokers: string[];
  readonly clientId?: string;
  readonly topics: Readonly<Record<Channel, string>>;
  /** Events kept in memory for reconnecting clients. */
  readonly bufferEvents?: number;
  readonly logger: Logger;
  readonly onEvent?: (e: FeedEvent) => void;
  /** Where `marketlake_api_feed_lag_seconds` is registered (none: not measured). */
  readonly registry?: Registry;
}

/**
 * A listener gets deliveries: every event the feed received in one event-loop turn (all the
 * partitions' batches of one fetch), in arrival order. The same array goes to every listener, so
 * whatever a listener derives from it (e.g. the encoded SSE bytes for one filter) can be shared.
 */
export type FeedListener = (delivery: readonly FeedEvent[]) => void;

/** A range a reconnecting client needs that is no longer (or not yet) in memory. */
export interface KafkaGap {
  readonly channel: Channel;
  readonly partition: number;
  readonly fromOffset: number;
  /** Exclusive. */
  readonly toOffset: number;
}

export class LiveFeedUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveFeedUnavailable';
  }
}

export class LiveFeed {
  private readonly kafka: Kafka;
  private consumer: Consumer | undefined;
  private readonly listeners = new Set<FeedListener>();
  private readonly ring: FeedEvent[] = [];
  private ringHead = 0;
  /** Next offset per partition received from Kafka (de-duplicates re-deliveries). */
  private readonly position = new LivePosition();
  /** Next offset per partition delivered to listeners (the position of "now" for a new client). */
  private readonly delivered = new LivePosition();
  /** Events received in this event-loop turn, delivered together at its end. */
  private outbox: FeedEvent[] = [];
  private deliveryScheduled = false;
  /** Lowest offset per partition still available in memory. */
  private readonly floor = new Map<string, number>();
  /** The latest trade per `exchange:SYMBOL`, as received (parsed when asked for: trades are many, questions few). */
  private readonly latestTrades = new Map<string, { value: Buffer; receivedAt: number }>();
  private readonly latestCandles = new Map<string, CandleEvent>();
  private readonly channelOfTopic = new Map<string, Channel>();
  private ready = false;
  private stopped = false;
  private failure: string | undefined;
  private readonly capacity: number;
  private readonly lag: Histogram | undefined;

  constructor(private readonly options: LiveFeedOptions) {
    // How far behind Kafka the feed is: its receipt of a record − the record's timestamp (the
    // broker's append time on LogAppendTime topics, else the producer's create time).
    this.lag = options.registry
      ? new Histogram({ name: 'marketlake_api_feed_lag_seconds', help: 'live feed receipt time minus the Kafka record timestamp', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [options.registry] })
      : undefined;
    this.kafka = new Kafka({ clientId: options.clientId ?? 'marketlake-api', brokers: options.brokers, logLevel: logLevel.NOTHING, retry: { retries: 8 } });
    this.capacity = options.bufferEvents ?? 200_000;
    for (const c of CHANNELS) this.channelOfTopic.set(options.topics[c], c);
  }

  /** Connects and starts consuming at the current end of every partition. */
  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      for (const c of CHANNELS) {
        const topic = this.options.topics[c];
        if (!existing.has(topic)) continue;
        for (const p of await retried(() => admin.fetchTopicOffsets(topic))) {
          this.position.set(partitionKey(c, p.partition), Number(p.high));
          this.delivered.set(partitionKey(c, p.partition), Number(p.high));
          this.floor.set(partitionKey(c, p.partition), Number(p.high));
        }
      }
    } finally {
      await admin.disconnect();
    }
    await this.connectConsumer();
    this.ready = true;
  }

  /**
   * A consumer in a group of its own (this process wants every partition and commits nothing:
   * positions live in the clients' event ids), started exactly at `this.position`. A crash that
   * kafkajs does not restart itself (e.g. a coordinator moving on a fresh broker) restarts it
   * here from the same position, so clients stay connected and miss nothing.
   */
  private async connectConsumer(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: `marketlake-api-${randomUUID()}`, maxWaitTimeInMs: 50, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) => {
      const restart = (e.payload as { restart?: boolean }).restart;
      this.options.logger.warn({ err: (e.payload.error as Error)?.message, restart }, 'live feed consumer crashed');
      if (restart || this.stopped || this.consumer !== consumer) return;
      this.failure = `Kafka consumer crashed: ${(e.payload.error as Error)?.message}`;
      void this.restartConsumer(consumer);
    });
    await consumer.connect();
    const topics = CHANNELS.map((c) => this.options.topics[c]);
    await consumer.subscribe({ topics, fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: (b) => this.onBatch(b) });
    // Start exactly at the known position (not at "latest" as of the group join, which is later).
    for (const [key, offset] of this.position.entries()) {
      const [channel, partition] = key.split(':');
      await seekWhenReady(consumer, this.options.topics[channel as Channel], Number(partition), offset);
    }
  }

  private async restartConsumer(old: Consumer): Promise<void> {
    await old.disconnect().catch(() => undefined);
    for (let attempt = 1; !this.stopped; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
      if (this.stopped) return;
      try {
        await this.connectConsumer();
        this.failure = undefined;
        this.options.logger.info({ attempt }, 'live feed consumer restarted');
        return;
      } catch (err) {
        this.options.logger.warn({ err: (err as Error).message, attempt }, 'live feed consumer restart failed');
      }
    }
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => undefined);
  }

  health(): { status: 'ok' | 'down'; detail: string } {
    if (this.failure) return { status: 'down', detail: this.failure };
    if (!this.ready) return { status: 'down', detail: 'not connected to Kafka' };
    return { status: 'ok', detail: `${this.position.size} partitions, ${this.listeners.size} clients` };
  }

  /** Connected (a consumer restarting after a crash still counts: clients wait for it). */
  get available(): boolean {
    return this.ready;
  }

  get clientCount(): number {
    return this.listeners.size;
  }

  /** The live position (SSE id of "now"). */
  currentId(): string {
    return this.delivered.format();
  }

  latestTrade(exchange: string, symbol: string): { event: TradeEvent; receivedAt: number } | undefined {
    const t = this.latestTrades.get(`${exchange}:${symbol}`);
    return t && { event: JSON.parse(t.value.toString('utf8')) as TradeEvent, receivedAt: t.receivedAt };
  }

  allLatestTrades(): { event: TradeEvent; receivedAt: number }[] {
    return [...this.latestTrades.values()].map((t) => ({ event: JSON.parse(t.value.toString('utf8')) as TradeEvent, receivedAt: t.receivedAt }));
  }

  latestCandle(exchange: string, symbol: string, interval: string): CandleEvent | undefined {
    return this.latestCandles.get(`${exchange}:${symbol}:${interval}`);
  }

  /**
   * Attaches a listener. With `resume` (a client's Last-Event-ID), also returns, synchronously
   * and without gap or overlap with what the listener will get, the buffered events after that
   * position, and the ranges that must be read from Kafka first (`gaps`).
   */
  subscribe(listener: FeedListener, resume?: Position): { replay: FeedEvent[]; gaps: KafkaGap[]; unsubscribe: () => void } {
    if (!this.available) throw new LiveFeedUnavailable(this.failure ?? 'the live feed is not connected to Kafka');
    const replay: FeedEvent[] = [];
    const gaps: KafkaGap[] = [];
    if (resume) {
      for (const [key, from] of resume) {
        const floor = this.floor.get(key);
        const [channel, partition] = key.split(':');
        if (floor !== undefined && from < floor) gaps.push({ channel: channel as Channel, partition: Number(partition), fromOffset: from, toOffset: floor });
      }
      const n = this.ring.length;
      for (let i = 0; i < n; i++) {
        const e = this.ring[(this.ringHead + i) % n];
        const from = resume.get(partitionKey(e.channel, e.partition));
        if (from === undefined || e.offset >= from) replay.push(e);
      }
    }
    this.listeners.add(listener);
    return { replay, gaps, unsubscribe: () => this.listeners.delete(listener) };
  }

  /** Reads [fromOffset, toOffset) of one partition from Kafka (for a client resuming from far back). */
  async readRange(gap: KafkaGap, signal?: AbortSignal): Promise<FeedEvent[]> {
    const topic = this.options.topics[gap.channel];
    const out: FeedEvent[] = [];
    if (gap.fromOffset >= gap.toOffset) return out;
    const consumer = this.kafka.consumer({ groupId: `marketlake-api-replay-${randomUUID()}`, maxWaitTimeInMs: 100 });
    // Ids of replayed events name their partition alone (the client's other partitions are not moved).
    const around = new LivePosition().around(partitionKey(gap.channel, gap.partition));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: false });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new LiveFeedUnavailable(`replay of ${topic}[${gap.partition}] from ${gap.fromOffset} timed out`)), 30_000);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              if (batch.partition !== gap.partition) return;
              for (const m of batch.messages) {
                const offset = Number(m.offset);
                if (offset < gap.fromOffset) continue;
                if (offset >= gap.toOffset) break;
                out.push(this.eventOf(gap.channel, gap.partition, offset, m.value ?? NULL_VALUE, around));
              }
              if (out.length > 0 && out[out.length - 1].offset >= gap.toOffset - 1) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .then(() => seekWhenReady(consumer, topic, gap.partition, gap.fromOffset), reject)
          .catch(reject);
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return out;
  }

  private async onBatch({ batch }: EachBatchPayload): Promise<void> {
    const channel = this.channelOfTopic.get(batch.topic);
    if (!channel) return;
    const key = partitionKey(channel, batch.partition);
    const now = Date.now();
    // Per fetched batch, its oldest record: the most behind.
    if (batch.messages.length > 0) this.lag?.observe(Math.max(0, now - Number(batch.messages[0].timestamp)) / 1000);
    const around = this.position.around(key);
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      const expected = this.position.get(key);
      if (expected !== undefined && offset < expected) continue; // already seen (a rebalance re-delivered it)
      this.position.set(key, offset + 1);
      this.outbox.push(this.eventOf(channel, batch.partition, offset, m.value ?? NULL_VALUE, around, now, m.key));
    }
    // kafkajs hands over a fetch's partitions one batch at a time: deliver them together once
    // this turn ends, so that a client gets one write per fetch rather than one per partition.
    if (this.outbox.length > 0 && !this.deliveryScheduled) {
      this.deliveryScheduled = true;
      setImmediate(() => this.deliver());
    }
  }

  /**
   * Hands this turn's events to every listener. The ring, the floors and the delivered position
   * change here, together with the listeners' view, so that `subscribe` (replay from the ring,
   * then live deliveries) never skips nor repeats an event.
   */
  private deliver(): void {
    this.deliveryScheduled = false;
    const events = this.outbox;
    this.outbox = [];
    for (const e of events) {
      const key = partitionKey(e.channel, e.partition);
      if (!this.floor.has(key)) this.floor.set(key, e.offset);
      this.delivered.set(key, e.offset + 1);
      this.remember(e);
      this.options.onEvent?.(e);
    }
    for (const l of this.listeners) l(events);
  }

  private eventOf(channel: Channel, partition: number, offset: number, value: Buffer, around: PositionAround, receivedAt = Date.now(), key?: Buffer | null): FeedEvent {
    // Trades are keyed `<exchange>:<symbol>` (the topics' contract): their symbol is read from
    // the key, the value is not parsed (10k trades/s); candles and alerts are parsed.
    const tradeKey = channel === 'trades' && key ? TRADE_KEY.exec(key.toString('utf8')) : null;
    if (tradeKey) {
      const symbol = tradeKey[2].toUpperCase();
      this.latestTrades.set(`${tradeKey[1]}:${symbol}`, { value, receivedAt });
      return new FeedEvent(channel, partition, offset, symbol, value, receivedAt, around);
    }
    let symbol: string | undefined;
    try {
      const parsed = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
      if (typeof parsed.symbol === 'string') symbol = parsed.symbol.toUpperCase();
      if (channel === 'trades' && symbol && typeof parsed.exchange === 'string') this.latestTrades.set(`${parsed.exchange}:${symbol}`, { value, receivedAt });
      if (channel === 'candles' && symbol && typeof parsed.exchange === 'string') {
        const k = `${parsed.exchange}:${symbol}:${String(parsed.interval)}`;
        const prev = this.latestCandles.get(k);
        const c = parsed as unknown as CandleEvent;
        if (!prev || c.windowStartUs > prev.windowStartUs || (c.windowStartUs === prev.windowStartUs && (c.revision >= prev.revision || c.isFinal))) this.latestCandles.set(k, c);
      }
    } catch {
      // Not JSON: still delivered as it came (the stream does not judge payloads).
    }
    return new FeedEvent(channel, partition, offset, symbol, value, receivedAt, around);
  }

  private remember(e: FeedEvent): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(e);
      return;
    }
    const evicted = this.ring[this.ringHead];
    this.ring[this.ringHead] = e;
    this.ringHead = (this.ringHead + 1) % this.capacity;
    this.floor.set(partitionKey(evicted.channel, evicted.partition), evicted.offset + 1);
  }
}

const TRADE_KEY = /^([a-z0-9_-]+):([A-Za-z0-9]+)$/;
/** A record without a value (a tombstone) is delivered as JSON null. */
const NULL_VALUE = Buffer.from('null');

/** kafkajs accepts seeks once `run` has set the group up, which it does asynchronously. */
async function seekWhenReady(consumer: Consumer, topic: string, partition: number, offset: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      consumer.seek({ topic, partition, offset: String(offset) });
      return;
    } catch (err) {
      if (attempt >= 200 || !/not initialized/i.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** Retries a retriable Kafka call (leaders move on a fresh broker) for up to ~10 s. */
async function retried<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 40 || (err as { retriable?: boolean }).retriable === false) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
