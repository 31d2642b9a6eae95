/**
 * The Binance live trade producer: combined-stream websocket(s) → TradeEvent on
 * market.trades.v1, with gap detection (each gap on market.gaps.v1, filled from REST when a
 * REST client is given and the gap is small), bad frames to the dead-letter topic, and every
 * disconnect measured (metric + log). Each symbol lives on exactly one connection, and its
 * frames are handled one after the other, so a symbol's trades (and repairs) stay in id order.
 */
import { deadLetter, TRADE_GAPS_TOPIC, tradeGapKey, tradeGapMissingCount, type TradeGapEvent, tradeKey, type TradeEvent } from '../../common/events/index.ts';
import { TOPICS, type TopicName } from '../../common/topics.ts';
import type { HealthReport } from '../../common/observability-server.ts';
import type { EventSink } from '../event-sink.ts';
import type { SourceDeps, SourceProducer } from '../polling/source.ts';
import type { BinanceWsConfig } from './ws-config.ts';
import { ConnectAttemptLimiter } from './ws-connect-limiter.ts';
import { reconnectingWebSocket } from './ws-connection.ts';
import { fillGapFromAggTrades, type AggTradesFetcher } from './ws-gap-filler.ts';
import { TradeGapDetector, type DetectedGap } from './ws-gap-detector.ts';
import { mapWsFrame } from './ws-mapper.ts';
import { binanceWsMetrics, disconnectCause } from './ws-metrics.ts';
import { planConnections, tradeStreamNames, type PlannedConnection } from './ws-streams.ts';

const STAGE = 'binance-ws';
const EXCHANGE = 'binance';
const FIVE_MINUTES_MS = 5 * 60_000;

export interface BinanceWsDeps extends SourceDeps {
  /** A Binance REST client (its `/api/v3/aggTrades`): small gaps are filled from it. */
  readonly rest?: AggTradesFetcher;
}

export interface DisconnectRecord {
  readonly connection: string;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

interface ConnectionState {
  readonly plan: PlannedConnection;
  open: boolean;
  /** Increments on every open: a symbol whose last trade came on an older one crossed a reconnect. */
  generation: number;
  disconnectedAt: number | undefined;
  lastReason: string | undefined;
}

export interface BinanceWsProducer extends SourceProducer {
  /** Every disconnect that was followed by a reconnect, oldest first (bounded). */
  readonly disconnects: readonly DisconnectRecord[];
  readonly connections: readonly PlannedConnection[];
}

export function createBinanceWsProducer(config: BinanceWsConfig, sink: EventSink, deps: BinanceWsDeps): BinanceWsProducer {
  const logger = deps.logger.child({ source: STAGE });
  const metrics = binanceWsMetrics(deps.registry);
  const plans = planConnections(config.BINANCE_WS_BASE_URL, tradeStreamNames(config.BINANCE_SYMBOLS, config.BINANCE_WS_STREAM), {
    maxPerConnection: config.BINANCE_WS_MAX_STREAMS_PER_CONNECTION,
    microseconds: config.BINANCE_WS_MICROSECONDS,
  });
  const limiter = new ConnectAttemptLimiter(config.BINANCE_WS_MAX_CONNECTS_PER_5_MIN, FIVE_MINUTES_MS);
  const detector = new TradeGapDetector();
  const lastGenerationOf = new Map<string, number>();
  const disconnects: DisconnectRecord[] = [];
  const states: ConnectionState[] = plans.map((plan) => ({ plan, open: false, generation: 0, disconnectedAt: Date.now(), lastReason: undefined }));
  let lastMessageAt: number | undefined;

  async function repair(gap: DetectedGap): Promise<{ filled: TradeEvent[] } | { reason: string }> {
    if (!deps.rest) return { reason: 'no REST client configured' };
    const missing = tradeGapMissingCount(gap);
    if (missing > config.BINANCE_WS_REPAIR_MAX_TRADES) return { reason: `${missing} missing trades exceed BINANCE_WS_REPAIR_MAX_TRADES=${config.BINANCE_WS_REPAIR_MAX_TRADES}` };
    const signal = AbortSignal.any([deps.signal, AbortSignal.timeout(config.BINANCE_WS_REPAIR_TIMEOUT_MS)]);
    try {
      // A client that ignores the signal still cannot hold the stream longer than the deadline.
      const deadline = new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error(`no answer within ${config.BINANCE_WS_REPAIR_TIMEOUT_MS} ms`)), { once: true }),
      );
      deadline.catch(() => undefined); // it fires after a successful fill too: nobody must be left unhandled
      const result = await Promise.race([fillGapFromAggTrades(gap, deps.rest, signal), deadline]);
      return 'filled' in result ? result : { reason: result.unfilled };
    } catch (err) {
      return { reason: `REST failed: ${(err as Error).message}` };
    }
  }

  async function onGap(gap: DetectedGap, acrossReconnect: boolean, origin: string): Promise<void> {
    const missing = tradeGapMissingCount(gap);
    const fix = await repair(gap);
    const filled = 'filled' in fix;
    if (filled) {
      // Published before the trade that revealed the gap: the symbol's ids stay in order.
      for (const t of fix.filled) await sink.publish(TOPICS.trades, tradeKey(t), t, `${origin} (REST repair)`);
      metrics.repairedTrades.labels(gap.symbol).inc(fix.filled.length);
    }
    const event: TradeGapEvent = {
      v: 1,
      ...gap,
      detectedAtUs: Date.now() * 1000,
      acrossReconnect,
      status: filled ? 'filled' : 'open',
      ...(filled ? { filledBy: 'rest' as const } : {}),
    };
    await sink.publish(TRADE_GAPS_TOPIC, tradeGapKey(event), event, origin);
    metrics.gaps.labels(gap.symbol, event.status).inc();
    metrics.missingTrades.labels(gap.symbol).inc(missing);
    logger.warn(
      { symbol: gap.symbol, firstMissingTradeId: gap.firstMissingTradeId, lastMissingTradeId: gap.lastMissingTradeId, missing, acrossReconnect, status: event.status, why: filled ? undefined : fix.reason },
      filled ? 'trade id gap filled from REST' : 'trade id gap: left open for repair',
    );
  }

  async function onFrame(state: ConnectionState, data: Buffer, receivedAtUs: number): Promise<void> {
    const origin = state.plan.url;
    const verdict = mapWsFrame(data, receivedAtUs, EXCHANGE);
    metrics.frames.labels(verdict.kind).inc();
    if (verdict.kind === 'invalid') {
      logger.warn({ reason: verdict.reason, bytes: data.length }, 'malformed frame dead-lettered');
      await sink.deadLetter(deadLetter({ stage: STAGE, reason: verdict.reason, raw: data, origin }));
      return;
    }
    if (verdict.kind === 'ignored') {
      logger.debug({ reason: verdict.reason }, 'frame ignored');
      return;
    }
    const trade = verdict.event;
    metrics.trades.labels(trade.symbol).inc();
    const seq = detector.observe(trade);
    const previousGeneration = lastGenerationOf.get(trade.symbol);
    lastGenerationOf.set(trade.symbol, state.generation);
    if (seq.kind === 'duplicate') {
      metrics.duplicates.labels(trade.symbol).inc();
      logger.debug({ symbol: trade.symbol, tradeId: trade.tradeId, lastSeenId: seq.lastSeenId }, 'duplicate trade skipped');
      return;
    }
    if (seq.kind === 'gap') await onGap(seq.gap, previousGeneration !== undefined && previousGeneration !== state.generation, origin);
    await sink.publish(TOPICS.trades, tradeKey(trade), trade, origin);
  }

  async function runConnection(state: ConnectionState): Promise<void> {
    const connLogger = logger.child({ streams: state.plan.streams.length });
    const events = reconnectingWebSocket({
      url: state.plan.url,
      staleAfterMs: config.BINANCE_WS_STALE_MS,
      pingIntervalMs: config.BINANCE_WS_PING_INTERVAL_MS,
      handshakeTimeoutMs: config.BINANCE_WS_HANDSHAKE_TIMEOUT_MS,
      maxConnectionMs: config.BINANCE_WS_MAX_CONNECTION_MS,
      backoff: { initialMs: config.BINANCE_WS_BACKOFF_INITIAL_MS, maxMs: config.BINANCE_WS_BACKOFF_MAX_MS },
      limiter,
      highWater: config.BINANCE_WS_QUEUE_HIGH_WATER,
      signal: deps.signal,
      logger: connLogger,
    });
    for await (const ev of events) {
      if (ev.type === 'message') {
        lastMessageAt = Date.now();
        metrics.lastMessage.set(lastMessageAt / 1000);
        try {
          await onFrame(state, ev.data, ev.receivedAtUs);
        } catch (err) {
          if (deps.signal.aborted) break;
          // The sink refused the event (e.g. the publisher is closing): log the frame so it is not lost silently.
          connLogger.error({ err: (err as Error).message, frame: ev.data.subarray(0, 300).toString('utf8') }, 'could not hand a frame to the sink');
        }
      } else if (ev.type === 'open') {
        state.open = true;
        state.generation += 1;
        metrics.connects.inc();
        metrics.connected.inc();
        if (state.disconnectedAt !== undefined && state.lastReason !== undefined) {
          const record = { connection: state.plan.url, from: state.disconnectedAt, to: ev.at, reason: state.lastReason };
          disconnects.push(record);
          if (disconnects.length > 1_000) disconnects.shift();
          metrics.disconnectSeconds.observe((record.to - record.from) / 1000);
          connLogger.warn({ disconnectedFrom: new Date(record.from).toISOString(), reconnectedAt: new Date(record.to).toISOString(), ms: record.to - record.from, reason: record.reason }, 'reconnected');
        } else {
          connLogger.info({ url: state.plan.url }, 'connected');
        }
        state.disconnectedAt = undefined;
      } else {
        if (state.open) {
          state.open = false;
          metrics.connected.dec();
          state.disconnectedAt = ev.at;
        }
        state.lastReason = ev.reason;
        metrics.disconnects.labels(disconnectCause(ev.reason)).inc();
        if (!deps.signal.aborted) connLogger.warn({ reason: ev.reason, planned: ev.planned, wasOpen: ev.wasOpen }, 'websocket closed');
      }
    }
  }

  function health(): HealthReport {
    const open = states.filter((s) => s.open).length;
    const since = lastMessageAt ? `last message ${new Date(lastMessageAt).toISOString()}` : 'no message yet';
    const longestDown = Math.max(0, ...states.filter((s) => !s.open && s.disconnectedAt !== undefined).map((s) => Date.now() - s.disconnectedAt!));
    const status = open === states.length ? 'ok' : longestDown > config.BINANCE_WS_STALE_MS * 2 ? 'down' : 'degraded';
    return { status, checks: { 'binance-ws': { status, detail: `${open}/${states.length} connections open; ${since}` } } };
  }

  return {
    disconnects,
    connections: plans,
    async run() {
      logger.info({ symbols: config.BINANCE_SYMBOLS, stream: config.BINANCE_WS_STREAM, connections: plans.length, repair: deps.rest ? 'REST' : 'off' }, 'binance websocket producer starting');
      await Promise.all(states.map(runConnection));
      logger.info({ lastIds: detector.lastIds() }, 'binance websocket producer stopped');
    },
    health,
  };
}

/** Entry point for `marketlake produce binance`: streams until `deps.signal` aborts. */
export async function runBinanceWs(config: BinanceWsConfig, sink: EventSink, deps: BinanceWsDeps): Promise<void> {
  await createBinanceWsProducer(config, sink, deps).run();
}
