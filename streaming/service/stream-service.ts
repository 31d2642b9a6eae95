/**
 * The streaming service: Kafka → bronze tables + event-time candles → silver/candles and
 * `market.candles.v1`, exactly once. This file is the loop; a batch goes, in order, through:
 *   partitions.ts     the partition's lifecycle: assigned, resumed from the lake, buffering;
 *   (here) onBatch    decode + validate each message (invalid → dead letter); trades go through
 *                     the candle operator (duplicates dropped there) and into the bronze buffer of
 *                     their partition; forming candles go out as provisional updates at once;
 *   (here) flush      every STREAM_BATCH_MAX_MS or STREAM_BATCH_MAX_ROWS; it takes the buffers at
 *                     once and runs its I/O while consumption goes on:
 *     1. dead letters → Kafka (candle-publisher.ts),
 *     2. too-late trades checked against bronze (too-late.ts),
 *     3. bronze-writer.ts: each bronze table committed ONCE, with the Kafka offsets as Delta `txn`,
 *        fenced per partition,
 *     4. the watermark advances: final candles and revisions → silver-writer.ts (one commit,
 *        fenced per trades partition by an ownership epoch) → candle-publisher.ts,
 *     5. too-late repairs from bronze (too-late.ts),
 *     6. offsets → Kafka (informational: on start and after every rebalance each partition
 *        resumes from the lake's offsets, never from Kafka's).
 * The operator's state is rebuilt from bronze + silver on every (re)assignment (recovery.ts) and
 * consumption resumes at bronze's offsets, so a crash at any point leaves bronze with each trade
 * once. A final candle can reach silver one flush before the last trades it contains reach
 * bronze (they were consumed while the commit was in flight); after a crash those trades are
 * read again from Kafka, recomputed into the same candle, and recognised as already emitted, so
 * silver again equals the recomputation from bronze.
 */
import { Kafka, logLevel, type Consumer, type EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkajsLogCreator } from '../../common/kafkajs-logger.ts';
import { deadLetter, type DeadLetter, type TradeEvent } from '../../common/events/index.ts';
import { Lake, LakeQueryEngine, setLakeThreads } from '../../lake/index.ts';
import { CandleOperator } from '../candles/candle-operator.ts';
import { commitBronze } from './bronze-writer.ts';
import { CandlePublisher } from './candle-publisher.ts';
import { decodeNews, decodeSentiment, decodeTicker, DEFAULT_EVENT_TIME_LIMITS, tradeDecoder, type EventTimeLimits } from './decode.ts';
import { Mutex } from './mutex.ts';
import type { InputKind, InputSpec, PartitionState } from './partition-state.ts';
import { Partitions } from './partitions.ts';
import { SilverWriter } from './silver-writer.ts';
import type { StreamMetrics } from './stream-metrics.ts';
import { TooLateTrades } from './too-late.ts';

export type { InputKind } from './partition-state.ts';

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
  /** Recovery's reconciliation of silver with bronze reads the partitions written within this long before the last commit (default 24 h). */
  readonly reconcileLookbackMs?: number;
  readonly provisionalMs?: number;
  readonly sessionTimeoutMs?: number;
  /** Empty windows get a candle only within this long after the last traded minute (candle-operator.ts). */
  readonly maxFillGapMs?: number;
  /** When every partition has been idle this long, the watermark moves on with processing time. */
  readonly idleAdvanceMs?: number;
  /** Trades whose event time lies outside these limits are dead-lettered (decode.ts). */
  readonly eventTimeLimits?: EventTimeLimits;
  /** Threads of the process-wide lake DuckDB (Parquet writing); undefined leaves DuckDB's default. */
  readonly lakeThreads?: number;
  /** Publish provisional candle updates (default true). */
  readonly provisional?: boolean;
}

export interface StreamStatus {
  readonly running: boolean;
  readonly failed?: string;
  readonly lastFlushAt?: number;
  readonly watermarkUs: number;
  readonly partitions: number;
}

/** How far before a partition's last bronze commit recovery looks for discrepancies between silver and bronze. */
export const DEFAULT_RECONCILE_LOOKBACK_MS = 24 * 3_600_000;

/** Kafka's smallest session timeout by default (group.min.session.timeout.ms). */
export const DEFAULT_SESSION_TIMEOUT_MS = 6000;

export class StreamService {
  readonly operator: CandleOperator;
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly publisher: CandlePublisher;
  private readonly inputs: Map<string, InputSpec>;
  private readonly partitions: Partitions;
  private readonly silver: SilverWriter;
  private readonly tooLate: TooLateTrades;
  private readonly mutex = new Mutex();
  private engine: LakeQueryEngine | undefined;
  private pendingDeadLetters: DeadLetter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private provisionalTimer: NodeJS.Timeout | undefined;
  private recovering = false;
  private running = false;
  private failure: Error | undefined;
  private lastFlushAt: number | undefined;
  private flushPromise: Promise<void> | undefined;
  private initializing = false;
  private stopping = false;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (err: Error) => void;

  constructor(private readonly opts: StreamServiceOptions) {
    this.operator = new CandleOperator({
      watermarkBoundMs: opts.watermarkBoundMs,
      idleTimeoutMs: opts.idlePartitionMs,
      retentionMs: opts.lateRetentionMs,
      provisionalThrottleMs: opts.provisionalMs,
      maxFillGapMs: opts.maxFillGapMs,
      idleAdvanceMs: opts.idleAdvanceMs,
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
      // A killed instance's partitions move once its session expires: the broker's minimum
      // (6 s) by default. Heartbeats go out every sixth of it, also during a flush and a recovery.
      sessionTimeout: opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      rebalanceTimeout: Math.max(30_000, 2 * (opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS)),
      heartbeatInterval: Math.max(500, Math.floor((opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS) / 6)),
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
    });
    this.publisher = new CandlePublisher(this.kafka, opts.topics.candles, opts.logger, opts.provisional !== false);
    const all: InputSpec[] = [
      { kind: 'trades', topic: opts.topics.trades, table: 'bronze/trades', decode: tradeDecoder(opts.eventTimeLimits ?? DEFAULT_EVENT_TIME_LIMITS), event: 'trade' },
      { kind: 'tickers', topic: opts.topics.tickers, table: 'bronze/tickers', decode: decodeTicker, event: 'ticker' },
      { kind: 'sentiment', topic: opts.topics.sentiment, table: 'bronze/sentiment', decode: decodeSentiment, event: 'sentiment' },
      { kind: 'news', topic: opts.topics.news, table: 'bronze/news', decode: decodeNews, event: 'news' },
    ];
    const wanted = new Set(opts.inputs ?? ['trades', 'tickers', 'sentiment', 'news']);
    this.inputs = new Map(all.filter((i) => wanted.has(i.kind)).map((i) => [i.topic, i]));
    const reset = (s: Parameters<Partitions['reset']>[0]) => this.partitions.reset(s);
    this.silver = new SilverWriter({
      lake: opts.lake,
      operator: this.operator,
      logger: opts.logger,
      metrics: opts.metrics,
      tradesPartition: (p) => this.partitions.get(opts.topics.trades, p),
      reset,
    });
    this.partitions = new Partitions({
      groupId: opts.groupId,
      inputs: this.inputs,
      lake: opts.lake,
      operator: this.operator,
      silver: this.silver,
      logger: opts.logger,
      metrics: opts.metrics,
      retentionMs: opts.lateRetentionMs ?? 6 * 3_600_000,
      reconcileLookbackMs: opts.reconcileLookbackMs ?? DEFAULT_RECONCILE_LOOKBACK_MS,
      onUnreconciled: (r) => this.tooLate.schedule(r),
    });
    this.tooLate = new TooLateTrades({ engine: () => this.engine!, operator: this.operator, isCurrent: (st) => this.partitions.isCurrent(st), silver: this.silver, publisher: this.publisher, logger: opts.logger, metrics: opts.metrics, reset });
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
      this.partitions.tradesPartitions = trades?.partitions.length ?? 0;
    } finally {
      await admin.disconnect();
    }
    await this.publisher.connect();
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment as Record<string, number[]>;
      void this.mutex.run(async () => this.partitions.assign(assignment));
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
      partitions: this.partitions.size,
    };
  }

  /**
   * Stops consuming, finishes the work of the partitions it holds, and disconnects. Still a member
   * of the group (fetching paused), it commits what is buffered and, where a repair or a fenced
   * commit reset a partition, rebuilds it from the lake and flushes again: the revisions that
   * rebuild emits exist nowhere else, so a stop between the reset and the rebuild left silver
   * behind bronze until the next start. Only then does it leave the group.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping = true;
    clearInterval(this.timer);
    clearTimeout(this.provisionalTimer);
    try {
      // Paused, the consumer keeps heartbeating (the partitions stay ours) but fetches nothing.
      this.consumer.pause([...this.inputs.keys()].map((topic) => ({ topic })));
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'could not pause the consumer before stopping');
    }
    // A batch or a recovery still running finishes first: the engine it reads is closed below.
    await this.mutex.run(async () => undefined);
    await this.flushPromise;
    if (!this.failure) {
      await this.settle().catch((err: Error) => this.opts.logger.error({ err: err.message }, 'final flush failed; the lake keeps the last commit'));
    }
    await this.consumer.stop().catch(() => undefined);
    // kafkajs does not always wait for a batch in progress.
    await this.mutex.run(async () => undefined);
    await this.consumer.disconnect().catch(() => undefined);
    await this.publisher.disconnect();
    this.engine?.close();
    this.resolveDone();
  }

  /**
   * The final flushes of a stop: flush; while a partition is reset (its uncommitted work and
   * operator state dropped by a repair that reached the retained range, or by a fenced commit),
   * rebuild it from the lake and flush again, so that its revisions reach silver now.
   */
  private async settle(): Promise<void> {
    for (let round = 1; ; round++) {
      await this.flush();
      if (this.failure || !this.partitions.anyNotReady()) return;
      if (round >= MAX_STOP_ROUNDS) {
        this.opts.logger.warn({ rounds: round }, 'stopping with a partition still to rebuild: its revisions are made by the next start');
        return;
      }
      await this.mutex.run(() => this.resume(async () => undefined));
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    if (this.stopping) {
      // What a stop interrupts (a recovery, a batch) is not a failure: the lake keeps the last commit.
      this.opts.logger.info({ err: err.message }, 'stopping: interrupted work is resumed from the lake on the next start');
      return;
    }
    this.failure = err;
    this.opts.logger.error({ err: err.message, stack: err.stack }, 'streaming failed');
    this.running = false;
    clearInterval(this.timer);
    clearTimeout(this.provisionalTimer);
    void this.consumer.disconnect().catch(() => undefined);
    this.publisher.abort();
    this.rejectDone(err);
  }

  /** Resumes the assigned partitions that are not ready from the lake (partitions.ts). */
  private resume(heartbeat: () => Promise<void>): Promise<PartitionState[]> {
    return this.partitions.resume(this.engine!, heartbeat, (on) => (this.recovering = on));
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!this.running || this.failure) return;
    const input = this.inputs.get(batch.topic);
    if (input === undefined) return;
    this.partitions.noteBatch(batch.topic, batch.partition);
    const s = this.partitions.stateFor(batch.topic, batch.partition);
    if (!s.ready) await this.resume(heartbeat);
    // A stop that began during the resume takes nothing more (what is not in the lake is read again).
    if (!this.running || batch.messages.length === 0) return;
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
      const d = input.decode(m.value, nowMs);
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
    const parts = this.partitions;
    parts.bufferedRows += accepted + late;
    if (parts.bufferSince === undefined && s.next !== s.committed) parts.bufferSince = nowMs;
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
    if (parts.bufferedRows >= maxRows || (parts.bufferSince !== undefined && nowMs - parts.bufferSince >= (this.opts.batchMaxMs ?? 1000))) {
      const flushing = this.startFlush();
      // Backpressure: while a commit is in flight, buffer at most one more batch's worth.
      if (parts.bufferedRows >= maxRows) await flushing;
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
    if (!this.recovering && !this.initializing && this.partitions.anyNotReady()) {
      this.initializing = true;
      void this.mutex
        .run(async () => {
          // The reset dropped the partition's uncommitted rows, and on a partition with nothing
          // new to fetch (a replay that has ended) no batch comes to trigger onBatch's seek back:
          // go back to the lake's offset now, or those rows are never read again.
          for (const s of await this.resume(async () => undefined)) this.seekToLake(s);
        })
        .catch((err: Error) => this.fail(err))
        .finally(() => {
          this.initializing = false;
        });
    }
  }

  /** Makes the consumer fetch a resumed partition again from the offset the lake recorded. */
  private seekToLake(s: PartitionState): void {
    if (s.next === undefined || s.seeked) return;
    s.seeked = true;
    this.consumer.seek({ topic: s.input.topic, partition: s.partition, offset: String(s.next) });
  }

  private emitProvisional(nowMs: number): void {
    if (this.recovering || this.opts.provisional === false) return;
    const candles = this.operator.provisional(nowMs);
    this.scheduleProvisional();
    if (candles.length === 0) return;
    this.opts.metrics?.candles.inc({ kind: 'provisional' }, candles.length);
    this.publisher.publishProvisional(candles);
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

  /** Each dead letter is logged with where it came from and why (the payload is on the topic). */
  private logDeadLetters(letters: readonly DeadLetter[]): void {
    const shown = letters.slice(0, MAX_LOGGED_DEAD_LETTERS);
    for (const l of shown) {
      this.opts.logger.warn(
        { topic: l.sourceTopic, partition: l.partition, offset: l.offset, reason: l.reason, bytes: l.payloadBytes, sha256: l.payloadSha256 },
        'dead letter',
      );
    }
    if (letters.length > shown.length) this.opts.logger.warn({ count: letters.length, logged: shown.length }, 'more dead letters in this flush than logged one by one');
  }

  /**
   * Gaps longer than the fill gap get no candles (candle-operator.ts): counted per symbol and
   * logged with their range (once when a gap begins, once whole when trades resume), so that a
   * missing stretch is seen, not only absent.
   */
  private reportMissing(): void {
    const { minutes, opened, closed } = this.operator.takeMissing();
    const log = this.opts.logger;
    for (const m of minutes) this.opts.metrics?.missingMinutes.inc({ symbol: `${m.exchange}:${m.symbol}` }, m.minutes);
    for (const g of opened) {
      log.warn({ symbol: `${g.exchange}:${g.symbol}`, from: new Date(g.fromUs / 1000).toISOString(), maxFillGapMs: this.operator.maxFillGapMs }, 'gap in trades: minutes from here on are missing (no candle) until the symbol trades again');
    }
    for (const g of closed) {
      log.warn(
        { symbol: `${g.exchange}:${g.symbol}`, from: new Date(g.fromUs / 1000).toISOString(), until: new Date(g.untilUs / 1000).toISOString(), minutes: g.minutes },
        'gap in trades: minutes left missing (no candle; for the coverage ledger and a backfill)',
      );
    }
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
    const units = this.partitions.takeFlushUnits();
    const letters = this.pendingDeadLetters;
    this.pendingDeadLetters = [];
    if (letters.length > 0) {
      this.logDeadLetters(letters);
      await this.publisher.send(this.opts.topics.deadletter, letters.map((l) => ({ key: `${l.sourceTopic}:${l.partition}`, value: JSON.stringify(l) })));
    }
    const repairs = await this.tooLate.check(units);
    const committedNow = await commitBronze(units, { lake: this.opts.lake, partitions: this.partitions, logger: log, metrics });

    // Too-late trades now in bronze: their final candles repaired (before the watermark moves, see too-late.ts).
    if (repairs.length > 0 || this.tooLate.deferred > 0) await this.tooLate.repair(repairs, nowMs);
    // Candles: final windows and revisions. Not while a partition's state is being rebuilt.
    if (!this.recovering) {
      const advanced = this.silver.owned(this.operator.advance(nowMs));
      if (advanced.length > 0) {
        const t0 = performance.now();
        const candles = await this.silver.commit(advanced);
        if (candles.length > 0) {
          metrics?.commitSeconds.observe({ table: 'silver/candles' }, (performance.now() - t0) / 1000);
          metrics?.batchRows.observe({ table: 'silver/candles' }, candles.length);
          let revisions = 0;
          for (const c of candles) if (c.revision > 0) revisions++;
          metrics?.candles.inc({ kind: 'final' }, candles.length - revisions);
          if (revisions) metrics?.candles.inc({ kind: 'revision' }, revisions);
          await this.publisher.publishCandles(candles);
        }
      }
      this.reportMissing();
    }
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
}

/** Flushes a stop runs at most (each after rebuilding the partitions the previous one reset). */
const MAX_STOP_ROUNDS = 4;

/** Dead letters logged one by one per flush; the rest are counted in one line (a flood of bad input must not flood the log). */
const MAX_LOGGED_DEAD_LETTERS = 100;
