/**
 * The streaming service: Kafka → bronze tables + event-time candles → silver/candles and
 * `market.candles.v1`, exactly once.
 *
 * The loop (kafkajs eachBatch; batches, assignments and state rebuilds serialised by one mutex):
 *   decode + validate each message (invalid → dead letter); trades go through the candle
 *   operator (duplicates dropped there) and into the bronze buffer of their partition; forming
 *   candles go out as provisional updates right away (throttled per symbol).
 * A flush (every STREAM_BATCH_MAX_MS or STREAM_BATCH_MAX_ROWS; it takes the buffers at once and
 * runs its I/O while consumption goes on) then
 *   1. publishes pending dead letters,
 *   2. commits each bronze table ONCE: the rows plus, per topic-partition, a Delta `txn`
 *      (appId `stream:<group>:<topic>:<partition>`, version = next offset), fenced: the commit
 *      only goes ahead for partitions whose recorded version is the one we continued from,
 *   3. advances the watermark: final candles and revisions → silver/candles (one commit, fenced
 *      per trades partition by an ownership epoch, see below) → `market.candles.v1`,
 *   4. commits the offsets to Kafka (informational: on start and after every rebalance each
 *      partition resumes from the lake's offsets, never from Kafka's).
 * The operator's state is rebuilt from bronze + silver on every (re)assignment (recovery.ts) and
 * consumption resumes at bronze's offsets, so a crash at any point leaves bronze with each trade
 * once. Before it reads silver, the new owner of a trades partition claims it in silver: a commit
 * with only a Delta `txn` (appId `stream:<group>:silver:<topic>:<partition>`, version = the
 * previous owner's epoch + 1). Every candle commit re-asserts its owner's epoch and is dropped
 * for partitions whose epoch moved on, so the previous owner's in-flight flush can never land a
 * candle the new owner's recovery did not see (two writers of the same revision).
 * A final candle can reach silver one flush before the last trades it contains reach
 * bronze (they were consumed while the commit was in flight); after a crash those trades are
 * read again from Kafka, recomputed into the same candle, and recognised as already emitted, so
 * silver again equals the recomputation from bronze.
 */
import { kafkajsLogCreator } from '../../common/kafkajs-logger.ts';
import { Kafka, Partitioners, logLevel, type Consumer, type EachBatchPayload, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { candleKey, type CandleEvent } from '../../common/events/candle.ts';
import { deadLetter, type DeadLetter } from '../../common/events/deadletter.ts';
import type { TradeEvent } from '../../common/events/trade.ts';
import {
  ConcurrentModificationError,
  Lake,
  LakeQueryEngine,
  JsonEventsBuilder,
  setLakeThreads,
  type JsonEventKind,
} from '../../lake/index.ts';
import { CandleOperator } from '../candles/candle-operator.ts';
import { repairCandles } from '../batch/repair-candles.ts';
import { candleToRow } from './candle-rows.ts';
import { decodeNews, decodeSentiment, decodeTicker, decodeTrade, type Decoded } from './decode.ts';
import { Mutex } from './mutex.ts';
import { claimOwnership, MAX_FENCED_ATTEMPTS } from './ownership-claims.ts';
import { recoverOperatorState } from './recovery.ts';
import type { StreamMetrics } from './stream-metrics.ts';

export type InputKind = 'trades' | 'tickers' | 'sentiment' | 'news';

export interface StreamServiceOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly groupId: string;
  readonly lake: Lake;
  readonly logger: Logger;
  readonly metrics?: StreamMetrics;
  readonly topics: Readonly<Record<InputKind | 'candles' | 'deadletter', string>>;
  readonly inputs?: readonly InputKind[];
  readonly batchMaxRows?: number;
  readonly batchMaxMs?: number;
  readonly watermarkBoundMs?: number;
  readonly idlePartitionMs?: number;
  readonly lateRetentionMs?: number;
  readonly provisionalMs?: number;
  readonly sessionTimeoutMs?: number;
  /** Threads of the process-wide lake DuckDB (Parquet writing); undefined leaves DuckDB's default. */
  readonly lakeThreads?: number;
  /** Publish provisional candle updates (default true). */
  readonly provisional?: boolean;
}

interface InputSpec {
  readonly kind: InputKind;
  readonly topic: string;
  readonly table: string;
  readonly decode: (raw: Buffer | null) => Decoded<unknown>;
  /** How the bronze writer maps the event (its JSON is what gets buffered and written). */
  readonly event: JsonEventKind;
}

/** Where one topic-partition stands. */
interface PartitionState {
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
interface FlushUnit {
  readonly s: PartitionState;
  readonly rows: JsonEventsBuilder;
  readonly tooLate: TradeEvent[];
  readonly next: number;
  readonly expected: number | undefined;
}

/** A candle with the trades partition it belongs to and that partition's ownership epoch when it was computed. */
interface OwnedCandle {
  readonly candle: CandleEvent;
  readonly state: PartitionState | undefined;
  readonly epoch: number | undefined;
}

interface Repair {
  readonly state: PartitionState;
  readonly exchange: string;
  readonly symbol: string;
  readonly fromUs: number;
}

export interface StreamStatus {
  readonly running: boolean;
  readonly failed?: string;
  readonly lastFlushAt?: number;
  readonly watermarkUs: number;
  readonly partitions: number;
}

export class StreamService {
  readonly operator: CandleOperator;
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  /**
   * Provisional updates only: their own connection and no queue behind the flush's sends (final
   * candles, dead letters), several requests in flight. An update is a snapshot of a forming
   * window that the next one supersedes, so neither idempotence nor strict order is needed.
   */
  private readonly provisionalProducer: Producer;
  private readonly inputs: Map<string, InputSpec>;
  private readonly states = new Map<string, PartitionState>();
  private readonly mutex = new Mutex();
  private engine: LakeQueryEngine | undefined;
  private tradesPartitions = 0;
  private assignment = new Map<string, Set<number>>();
  private pendingDeadLetters: DeadLetter[] = [];
  private bufferedRows = 0;
  private bufferSince: number | undefined;
  private sendChain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private provisionalTimer: NodeJS.Timeout | undefined;
  private recovering = false;
  private running = false;
  private failure: Error | undefined;
  private lastFlushAt: number | undefined;
  private flushPromise: Promise<void> | undefined;
  private initializing = false;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (err: Error) => void;

  constructor(private readonly opts: StreamServiceOptions) {
    this.operator = new CandleOperator({
      watermarkBoundMs: opts.watermarkBoundMs,
      idleTimeoutMs: opts.idlePartitionMs,
      retentionMs: opts.lateRetentionMs,
      provisionalThrottleMs: opts.provisionalMs,
    });
    this.kafka = new Kafka({
      clientId: opts.clientId ?? 'marketlake-stream',
      brokers: [...opts.brokers],
      logLevel: logLevel.WARN,
      // kafkajs' own lines go through our logger too, so every line stays one JSON object.
      logCreator: kafkajsLogCreator(opts.logger),
    });
    this.consumer = this.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      rebalanceTimeout: 2 * (opts.sessionTimeoutMs ?? 30_000),
      heartbeatInterval: Math.max(500, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 10)),
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
    });
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    this.provisionalProducer = this.kafka.producer({ maxInFlightRequests: 5, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    const all: InputSpec[] = [
      { kind: 'trades', topic: opts.topics.trades, table: 'bronze/trades', decode: decodeTrade, event: 'trade' },
      { kind: 'tickers', topic: opts.topics.tickers, table: 'bronze/tickers', decode: decodeTicker, event: 'ticker' },
      { kind: 'sentiment', topic: opts.topics.sentiment, table: 'bronze/sentiment', decode: decodeSentiment, event: 'sentiment' },
      { kind: 'news', topic: opts.topics.news, table: 'bronze/news', decode: decodeNews, event: 'news' },
    ];
    const wanted = new Set(opts.inputs ?? ['trades', 'tickers', 'sentiment', 'news']);
    this.inputs = new Map(all.filter((i) => wanted.has(i.kind)).map((i) => [i.topic, i]));
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  /** Connects, subscribes and starts consuming; resolves once the consumer runs. */
  async start(): Promise<void> {
    const log = this.opts.logger;
    if (this.opts.lakeThreads !== undefined) {
      await setLakeThreads(this.opts.lakeThreads);
    }
    await this.opts.lake.ensureKnownTables();
    this.engine = await LakeQueryEngine.open({ lake: this.opts.lake, readOnly: true });
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [...this.inputs.keys()] });
      const trades = meta.topics.find((t) => t.name === this.opts.topics.trades);
      this.tradesPartitions = trades?.partitions.length ?? 0;
    } finally {
      await admin.disconnect();
    }
    await this.producer.connect();
    if (this.opts.provisional !== false) await this.provisionalProducer.connect();
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment as Record<string, number[]>;
      void this.mutex.run(async () => this.applyAssignment(assignment));
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      if (!e.payload.restart) this.fail(new Error(`Kafka consumer crashed: ${e.payload.error.message}`));
    });
    await this.consumer.subscribe({ topics: [...this.inputs.keys()], fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      // An error here must not make kafkajs retry the batch with half of it committed: stop
      // instead (the process exits and resumes from the lake).
      // Group errors (a rebalance in progress, a lost membership) go back to kafkajs, which
      // rejoins and redelivers; we skip what we already hold by offset.
      eachBatch: (payload) =>
        this.mutex.run(() => this.onBatch(payload)).catch((err: Error) => {
          // kafkajs is CommonJS and its error classes are not named ESM exports: match by name.
          if (err.name.startsWith('KafkaJS')) throw err;
          this.fail(err);
        }),
    });
    const tickMs = Math.min(50, this.opts.provisionalMs ?? 250);
    this.timer = setInterval(() => this.tick(), tickMs);
    log.info({ topics: [...this.inputs.keys()], group: this.opts.groupId }, 'streaming started');
  }

  /** Resolves when the service stops cleanly; rejects when it fails (then exit and restart). */
  get finished(): Promise<void> {
    return this.done;
  }

  status(): StreamStatus {
    return {
      running: this.running,
      failed: this.failure?.message,
      lastFlushAt: this.lastFlushAt,
      watermarkUs: this.operator.watermarkUs,
      partitions: this.states.size,
    };
  }

  /** Stops consuming, commits what is buffered, and disconnects. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    clearTimeout(this.provisionalTimer);
    await this.consumer.stop().catch(() => undefined);
    await this.flushPromise;
    if (!this.failure) {
      await this.flush().catch((err: Error) => this.opts.logger.error({ err: err.message }, 'final flush failed; the lake keeps the last commit'));
    }
    await this.consumer.disconnect().catch(() => undefined);
    await this.sendChain.catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
    await this.provisionalProducer.disconnect().catch(() => undefined);
    this.engine?.close();
    this.resolveDone();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.opts.logger.error({ err: err.message, stack: err.stack }, 'streaming failed');
    this.running = false;
    clearInterval(this.timer);
    clearTimeout(this.provisionalTimer);
    void this.consumer.disconnect().catch(() => undefined);
    void this.producer.disconnect().catch(() => undefined);
    void this.provisionalProducer.disconnect().catch(() => undefined);
    this.rejectDone(err);
  }

  private key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  private stateFor(topic: string, partition: number): PartitionState {
    const k = this.key(topic, partition);
    let s = this.states.get(k);
    if (s === undefined) {
      const input = this.inputs.get(topic)!;
      s = {
        input,
        partition,
        appId: `stream:${this.opts.groupId}:${topic}:${partition}`,
        silverAppId: `stream:${this.opts.groupId}:silver:${topic}:${partition}`,
        silverEpoch: undefined,
        committed: undefined,
        next: undefined,
        rows: new JsonEventsBuilder(input.event),
        tooLate: [],
        ready: false,
        seeked: false,
      };
      this.states.set(k, s);
    }
    return s;
  }

  /** A new generation of the group: forget partitions we lost (their buffers were never committed). */
  private async applyAssignment(assignment: Record<string, number[]>): Promise<void> {
    this.assignment = new Map(Object.entries(assignment).map(([t, ps]) => [t, new Set(ps)]));
    for (const [k, s] of this.states) {
      if (this.assignment.get(s.input.topic)?.has(s.partition)) continue;
      this.dropPartition(k, s);
    }
    this.opts.logger.info({ assignment }, 'partitions assigned');
  }

  private dropPartition(k: string, s: PartitionState): void {
    this.bufferedRows -= s.rows.length;
    this.states.delete(k);
    if (s.input.kind === 'trades') this.operator.dropPartition(s.partition);
    this.opts.metrics?.symbols.set(this.operator.symbolCount);
  }

  /** Reads the lake's offsets for every assigned, not yet initialised partition (and rebuilds candle state). */
  private async initialize(heartbeat: () => Promise<void>): Promise<void> {
    const pending: PartitionState[] = [];
    for (const [topic, parts] of this.assignment) {
      if (!this.inputs.has(topic)) continue;
      for (const p of parts) {
        const s = this.stateFor(topic, p);
        if (!s.ready) pending.push(s);
      }
    }
    if (pending.length === 0) return;
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 2000);
    this.recovering = true;
    try {
      const t0 = Date.now();
      for (const table of new Set(pending.map((s) => s.input.table))) {
        const snap = await (await this.opts.lake.table(table)).refresh();
        for (const s of pending.filter((x) => x.input.table === table)) {
          s.committed = snap.txnVersion(s.appId);
          s.next = s.committed;
          s.rows = new JsonEventsBuilder(s.input.event);
          s.tooLate = [];
          s.seeked = false;
        }
      }
      const tradeStates = pending.filter((s) => s.input.kind === 'trades');
      const tradeParts = tradeStates.map((s) => s.partition);
      let recovered = { symbols: 0, trades: 0, restoredCandles: 0 };
      if (tradeParts.length > 0) {
        for (const p of tradeParts) this.operator.dropPartition(p);
        // Claim first, read silver after: a candle commit of the previous owner either landed
        // before the claim (recovery sees it) or is fenced out.
        await this.claimSilver(tradeStates);
        await this.engine!.refresh();
        recovered = await recoverOperatorState({
          engine: this.engine!,
          operator: this.operator,
          partitions: tradeParts,
          numPartitions: this.tradesPartitions,
          retentionMs: this.opts.lateRetentionMs ?? 6 * 3_600_000,
          nowMs: Date.now(),
        });
      }
      for (const s of pending) s.ready = true;
      this.opts.metrics?.recoveries.inc();
      this.opts.metrics?.symbols.set(this.operator.symbolCount);
      this.opts.logger.info(
        { partitions: pending.map((s) => `${s.input.topic}:${s.partition}@${s.committed ?? 'start'}`), ...recovered, ms: Date.now() - t0 },
        'resumed from the lake',
      );
    } finally {
      clearInterval(beat);
      this.recovering = false;
    }
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!this.running || this.failure) return;
    const input = this.inputs.get(batch.topic);
    if (input === undefined) return;
    if (!this.assignment.get(batch.topic)?.has(batch.partition)) {
      // A batch can arrive before GROUP_JOIN was handled; the assignment evidently includes it.
      const parts = this.assignment.get(batch.topic) ?? new Set<number>();
      parts.add(batch.partition);
      this.assignment.set(batch.topic, parts);
    }
    const s = this.stateFor(batch.topic, batch.partition);
    if (!s.ready) await this.initialize(heartbeat);
    if (batch.messages.length === 0) return;
    const first = Number(batch.messages[0].offset);
    if (s.next !== undefined && first > s.next && !s.seeked) {
      // Kafka's committed position is ahead of the lake (e.g. a lake reset): go back to the lake's.
      s.seeked = true;
      this.opts.logger.warn({ topic: batch.topic, partition: batch.partition, from: first, to: s.next }, 'seeking back to the lake offset');
      this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(s.next) });
      return;
    }
    const nowMs = Date.now();
    const metrics = this.opts.metrics;
    let accepted = 0;
    let late = 0;
    let duplicate = 0;
    let tooLate = 0;
    let dead = 0;
    // kafkajs's resolveOffset parses and re-formats the offset as a Long (about 1 µs) and only
    // records it: resolving the last processed message once per batch is the same.
    let resolved: string | undefined;
    const trades = input.kind === 'trades';
    // The loop below never awaits, so nothing can stop the consumer or seek this partition while
    // it runs: checking once per batch is the same as per message (kafkajs builds a key string
    // for every isStale call).
    if (!isRunning() || isStale()) return;
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      if (s.next !== undefined && offset < s.next) {
        resolved = m.offset; // already in the lake
        continue;
      }
      const d = input.decode(m.value);
      if (!d.ok) {
        this.pendingDeadLetters.push(deadLetter({ stage: 'stream', reason: d.reason, raw: m.value ?? Buffer.alloc(0), sourceTopic: batch.topic, partition: batch.partition, offset: m.offset }));
        dead++;
      } else if (trades) {
        const trade = d.event as TradeEvent;
        const outcome = this.operator.add(trade, batch.partition, nowMs);
        if (outcome === 'accepted') {
          accepted++;
          s.rows.push(m.value!);
        } else if (outcome === 'late') {
          late++;
          s.rows.push(m.value!);
        } else if (outcome === 'duplicate') duplicate++;
        else {
          // Older than the in-memory horizon: deduplicated against bronze and repaired from it at the flush.
          tooLate++;
          s.tooLate.push(trade);
        }
      } else {
        accepted++;
        // The schemas have no defaults or transforms: the bytes parse to exactly the validated event.
        s.rows.push(m.value!);
      }
      s.next = offset + 1;
      resolved = m.offset;
    }
    if (resolved !== undefined) resolveOffset(resolved);
    const added = accepted + late;
    this.bufferedRows += added;
    if (this.bufferSince === undefined && s.next !== s.committed) this.bufferSince = nowMs;
    if (metrics) {
      if (accepted) metrics.events.inc({ topic: batch.topic, outcome: 'accepted' }, accepted);
      if (late) metrics.events.inc({ topic: batch.topic, outcome: 'late' }, late);
      if (duplicate) metrics.events.inc({ topic: batch.topic, outcome: 'duplicate' }, duplicate);
      if (tooLate) metrics.events.inc({ topic: batch.topic, outcome: 'too_late' }, tooLate);
      if (dead) metrics.events.inc({ topic: batch.topic, outcome: 'deadletter' }, dead);
      if (s.next !== undefined) metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(batch.highWatermark) - s.next));
    }
    if (trades) this.emitProvisional(Date.now());
    const maxRows = this.opts.batchMaxRows ?? 200_000;
    if (this.bufferedRows >= maxRows || (this.bufferSince !== undefined && nowMs - this.bufferSince >= (this.opts.batchMaxMs ?? 1000))) {
      const flushing = this.startFlush();
      // Backpressure: while a commit is in flight, buffer at most one more batch's worth.
      if (this.bufferedRows >= maxRows) await flushing;
    }
    await heartbeat();
  }

  private tick(): void {
    if (!this.running || this.failure) return;
    const now = Date.now();
    const due = this.operator.nextProvisionalDueMs();
    if (due !== undefined && due <= now) this.emitProvisional(now);
    // Flush on time even when no batch arrives (idle topics, watermark moved by idleness).
    if (this.flushPromise === undefined && (this.lastFlushAt === undefined || now - this.lastFlushAt >= (this.opts.batchMaxMs ?? 1000))) {
      void this.startFlush();
    }
    // A partition reset after a repair or a fenced commit may see no batch for a while: rebuild it now.
    if (!this.recovering && !this.initializing && [...this.states.values()].some((st) => !st.ready)) {
      this.initializing = true;
      void this.mutex
        .run(() => this.initialize(async () => undefined))
        .catch((err: Error) => this.fail(err))
        .finally(() => {
          this.initializing = false;
        });
    }
  }

  private emitProvisional(nowMs: number): void {
    if (this.recovering || this.opts.provisional === false) return;
    const candles = this.operator.provisional(nowMs);
    this.scheduleProvisional();
    if (candles.length === 0) return;
    this.opts.metrics?.candles.inc({ kind: 'provisional' }, candles.length);
    void this.provisionalProducer.send({ topic: this.opts.topics.candles, messages: candles.map(candleMessage) }).catch((err: Error) =>
      this.opts.logger.warn({ err: err.message }, 'provisional candles not published'),
    );
  }

  /**
   * Symbols held back by the throttle are published the moment their throttle expires (not at
   * the next tick, which would add up to its period to their latency).
   */
  private scheduleProvisional(): void {
    if (this.provisionalTimer !== undefined || !this.running) return;
    const due = this.operator.nextProvisionalDueMs();
    if (due === undefined) return;
    this.provisionalTimer = setTimeout(() => {
      this.provisionalTimer = undefined;
      if (this.running && !this.failure) this.emitProvisional(Date.now());
    }, Math.max(0, due - Date.now()));
  }

  /**
   * Publishes in order (one send at a time: the idempotent producer numbers batches per
   * partition), in chunks that stay under the broker's 1 MB limit for a record batch.
   */
  private send(topic: string, messages: { key: string; value: string }[]): Promise<unknown> {
    const p = this.sendChain.then(async () => {
      let chunk: { key: string; value: string }[] = [];
      let bytes = 0;
      for (const m of messages) {
        const size = m.key.length + m.value.length + 64;
        if (chunk.length > 0 && bytes + size > SEND_CHUNK_BYTES) {
          await this.producer.send({ topic, messages: chunk });
          chunk = [];
          bytes = 0;
        }
        chunk.push(m);
        bytes += size;
      }
      if (chunk.length > 0) await this.producer.send({ topic, messages: chunk });
    });
    this.sendChain = p.catch(() => undefined);
    return p;
  }

  /** Starts a flush unless one runs; failures are fatal (the process restarts from the lake). */
  private startFlush(): Promise<void> {
    this.flushPromise ??= this.flush()
      .catch((err: Error) => this.fail(err))
      .finally(() => {
        this.flushPromise = undefined;
      });
    return this.flushPromise;
  }

  /**
   * One flush: dead letters, bronze (fenced, with offsets), candles → silver → Kafka, offsets →
   * Kafka. The buffers are taken synchronously at the start; consumption goes on meanwhile (the
   * lake I/O runs on DuckDB's threads), so batches keep flowing while a commit is in flight.
   */
  private async flush(): Promise<void> {
    if (this.failure) return;
    const nowMs = Date.now();
    const log = this.opts.logger;
    const metrics = this.opts.metrics;
    // Synchronous snapshot: each unit's rows are exactly the events below its `next` offset.
    const units: FlushUnit[] = [];
    for (const s of this.states.values()) {
      if (!s.ready || s.next === undefined || s.next === s.committed) continue;
      units.push({ s, rows: s.rows, tooLate: s.tooLate, next: s.next, expected: s.committed });
      this.bufferedRows -= s.rows.length;
      s.rows = new JsonEventsBuilder(s.input.event);
      s.tooLate = [];
    }
    if (this.bufferedRows < 0) this.bufferedRows = 0;
    this.bufferSince = undefined;
    const letters = this.pendingDeadLetters;
    this.pendingDeadLetters = [];
    if (letters.length > 0) {
      await this.send(this.opts.topics.deadletter, letters.map((l) => ({ key: `${l.sourceTopic}:${l.partition}`, value: JSON.stringify(l) })));
    }
    const repairs = await this.checkTooLate(units);
    const committedNow: FlushUnit[] = [];
    const byTable = new Map<string, FlushUnit[]>();
    for (const u of units) {
      const list = byTable.get(u.s.input.table) ?? [];
      list.push(u);
      byTable.set(u.s.input.table, list);
    }
    for (const [tableName, parts] of byTable) {
      const table = await this.opts.lake.table(tableName);
      const snap = await table.refresh();
      const owned: FlushUnit[] = [];
      for (const u of parts) {
        const recorded = snap.txnVersion(u.s.appId);
        if (recorded !== u.expected) {
          // Someone else committed this partition since we resumed it: we are a zombie for it.
          log.warn({ table: tableName, appId: u.s.appId, expected: u.expected, recorded }, 'lost ownership of a partition; dropping its uncommitted work');
          metrics?.commitFailures.inc({ table: tableName, reason: 'fenced' });
          this.resetPartition(u.s);
        } else owned.push(u);
      }
      if (owned.length === 0) continue;
      // One buffer for the whole commit: it moves to the writer thread without a copy.
      const rows = JsonEventsBuilder.build(owned.map((u) => u.rows));
      const t0 = performance.now();
      try {
        await table.append(rows, { txn: owned.map((u) => ({ appId: u.s.appId, version: u.next })) });
      } catch (err) {
        if (!(err instanceof ConcurrentModificationError)) throw err;
        log.warn({ table: tableName, err: err.message }, 'concurrent commit for our partitions; dropping their uncommitted work');
        metrics?.commitFailures.inc({ table: tableName, reason: 'conflict' });
        for (const u of owned) this.resetPartition(u.s);
        continue;
      }
      metrics?.commitSeconds.observe({ table: tableName }, (performance.now() - t0) / 1000);
      metrics?.batchRows.observe({ table: tableName }, rows.ends.length);
      for (const u of owned) {
        // Unless the partition was reset or re-read meanwhile, the lake now records `next`.
        if (this.states.get(this.key(u.s.input.topic, u.s.partition)) === u.s && u.s.committed === u.expected) u.s.committed = u.next;
        committedNow.push(u);
      }
    }

    // Candles: final windows and revisions. Not while a partition's state is being rebuilt.
    if (!this.recovering) {
      const advanced = this.ownedCandles(this.operator.advance(nowMs));
      if (advanced.length > 0) {
        const t0 = performance.now();
        const candles = await this.commitCandles(advanced);
        if (candles.length > 0) {
          metrics?.commitSeconds.observe({ table: 'silver/candles' }, (performance.now() - t0) / 1000);
          metrics?.batchRows.observe({ table: 'silver/candles' }, candles.length);
          let revisions = 0;
          for (const c of candles) if (c.revision > 0) revisions++;
          metrics?.candles.inc({ kind: 'final' }, candles.length - revisions);
          if (revisions) metrics?.candles.inc({ kind: 'revision' }, revisions);
          await this.send(this.opts.topics.candles, candles.map(candleMessage));
        }
      }
    }
    if (repairs.length > 0) await this.repair(repairs, nowMs);
    if (metrics) {
      const wm = this.operator.watermarkUs;
      if (Number.isFinite(wm)) metrics.watermarkDelay.set((nowMs * 1000 - wm) / 1e6);
      for (const p of this.operator.watermarks.entries()) metrics.partitionWatermarkDelay.set({ partition: String(p.partition) }, (nowMs * 1000 - p.watermarkUs) / 1e6);
      metrics.symbols.set(this.operator.symbolCount);
    }
    if (committedNow.length > 0) {
      await this.consumer
        .commitOffsets(committedNow.map((u) => ({ topic: u.s.input.topic, partition: u.s.partition, offset: String(u.next) })))
        .catch((err: Error) => log.warn({ err: err.message }, 'Kafka offset commit failed (the lake holds the position)'));
    }
    this.lastFlushAt = Date.now();
  }

  /**
   * Trades older than the operator's horizon: those bronze does not have yet join their unit's
   * rows (so the bronze commit stores them); returns what must be repaired.
   */
  private async checkTooLate(units: FlushUnit[]): Promise<Repair[]> {
    const pending = units.filter((u) => u.tooLate.length > 0);
    if (pending.length === 0) return [];
    await this.engine!.refresh();
    const repairs = new Map<string, Repair>();
    for (const u of pending) {
      const bySymbol = new Map<string, TradeEvent[]>();
      for (const t of u.tooLate) {
        const k = `${t.exchange}\u0000${t.symbol}`;
        const list = bySymbol.get(k) ?? [];
        list.push(t);
        bySymbol.set(k, list);
      }
      for (const list of bySymbol.values()) {
        const { exchange, symbol } = list[0];
        const ids = [...new Set(list.map((t) => t.tradeId))];
        const quoted = (v: string) => `'${v.replace(/'/g, "''")}'`;
        const existing = new Set(
          (await this.engine!.query(`SELECT trade_id FROM bronze_trades WHERE exchange = ${quoted(exchange)} AND symbol = ${quoted(symbol)} AND trade_id IN (${ids.join(',')})`)).rows.map((r) => Number(r.trade_id)),
        );
        for (const t of list) {
          if (existing.has(t.tradeId)) {
            this.opts.metrics?.events.inc({ topic: u.s.input.topic, outcome: 'duplicate' });
            continue;
          }
          existing.add(t.tradeId);
          u.rows.pushEvent(t);
          const key = `${exchange}:${symbol}`;
          const r = repairs.get(key);
          if (r === undefined || t.tradeTimeUs < r.fromUs) repairs.set(key, { state: u.s, exchange, symbol, fromUs: t.tradeTimeUs });
        }
      }
    }
    return [...repairs.values()];
  }

  /** Revises, from bronze, the final candles that too-late trades changed; then rebuilds those partitions' state. */
  private async repair(repairs: Repair[], nowMs: number): Promise<void> {
    await this.engine!.refresh();
    const owned: OwnedCandle[] = [];
    for (const r of repairs) {
      if (!r.state.ready) continue; // fenced away meanwhile: the new owner's recovery sees bronze
      const epoch = r.state.silverEpoch;
      for (const candle of await repairCandles(this.engine!, r.exchange, r.symbol, r.fromUs, nowMs * 1000)) owned.push({ candle, state: r.state, epoch });
    }
    const revisions = owned.length > 0 ? await this.commitCandles(owned) : [];
    if (revisions.length > 0) {
      this.opts.metrics?.candles.inc({ kind: 'revision' }, revisions.length);
      await this.send(this.opts.topics.candles, revisions.map(candleMessage));
    }
    this.opts.logger.info({ symbols: repairs.map((r) => `${r.exchange}:${r.symbol}`), revisions: revisions.length }, 'repaired candles from bronze after trades older than the retention horizon');
    // The operator's view of those symbols (emitted revisions, carried close) is stale now.
    // Rebuilt by the next batch of the partition, or by the timer when it is idle.
    for (const r of repairs) if (r.state.ready) this.resetPartition(r.state);
  }

  /** Claims trades partitions in silver/candles (see the header and ownership-claims.ts). */
  private async claimSilver(states: readonly PartitionState[]): Promise<void> {
    const epochs = await claimOwnership(await this.opts.lake.table('silver/candles'), states.map((s) => s.silverAppId));
    states.forEach((s, i) => (s.silverEpoch = epochs[i]));
  }

  /** Pairs candles with their partition and its current epoch (synchronously, before any await). */
  private ownedCandles(candles: readonly CandleEvent[]): OwnedCandle[] {
    const topic = this.opts.topics.trades;
    return candles.map((candle) => {
      const p = this.operator.partitionOf(candle.exchange, candle.symbol);
      const state = p === undefined ? undefined : this.states.get(this.key(topic, p));
      return { candle, state, epoch: state?.ready ? state.silverEpoch : undefined };
    });
  }

  /**
   * Appends candles to silver in one commit that re-asserts each partition's epoch (a concurrent
   * claim of one of them makes the commit conflict). Candles of partitions claimed since they
   * were computed are dropped (their new owner recomputes them from bronze); returns the rest.
   */
  private async commitCandles(items: readonly OwnedCandle[]): Promise<CandleEvent[]> {
    const silver = await this.opts.lake.table('silver/candles');
    let pending = items;
    for (let attempt = 1; ; attempt++) {
      const snap = await silver.refresh();
      const marks = new Map<string, number>();
      const lost = new Map<PartitionState | undefined, number | undefined>();
      pending = pending.filter((it) => {
        const recorded = it.state === undefined ? undefined : snap.txnVersion(it.state.silverAppId);
        if (it.state === undefined || it.epoch === undefined || recorded !== it.epoch) {
          lost.set(it.state, recorded);
          return false;
        }
        marks.set(it.state.silverAppId, it.epoch);
        return true;
      });
      for (const [state, recorded] of lost) {
        this.opts.logger.warn({ appId: state?.silverAppId, recorded }, 'lost ownership of a partition; dropping its candles');
        this.opts.metrics?.commitFailures.inc({ table: 'silver/candles', reason: 'fenced' });
        // Claimed by someone else (a re-claim of our own moves our epoch to the recorded one first).
        if (state !== undefined && state.ready && state.silverEpoch !== recorded) this.resetPartition(state);
      }
      if (pending.length === 0) return [];
      const candles = pending.map((it) => it.candle);
      try {
        await silver.append(candles.map(candleToRow), { txn: [...marks].map(([appId, version]) => ({ appId, version })) });
        return candles;
      } catch (err) {
        if (err instanceof ConcurrentModificationError && attempt < MAX_FENCED_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** Forgets a partition's uncommitted work and state; the next batch re-initialises it from the lake. */
  private resetPartition(s: PartitionState): void {
    this.bufferedRows -= s.rows.length;
    s.rows = new JsonEventsBuilder(s.input.event);
    s.ready = false;
    // The next batch of this partition re-reads the lake's offset and seeks there (onBatch).
    if (s.input.kind === 'trades') this.operator.dropPartition(s.partition);
  }
}

const SEND_CHUNK_BYTES = 512 * 1024;

function candleMessage(c: CandleEvent): { key: string; value: string } {
  return { key: candleKey(c), value: JSON.stringify(c) };
}
