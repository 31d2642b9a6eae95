/**
 * The event-time candle operator: pure (no I/O, time is passed in), single-threaded and built for
 * the hot path. Trades go in with `add`; `advance` returns the candles that became final (and the
 * revisions caused by late trades); `provisional` returns the forming candles that changed,
 * at most once per `provisionalThrottleMs` per symbol.
 *
 * Rules (DESIGN.md, PROVENANCE.md of the 2017 oracle):
 * - Tumbling windows of 1m/5m/15m/1h aligned to UTC; open/close by trade id within the window.
 * - A window is final once the watermark (see watermarks.ts) passes its end.
 * - Windows without trades get Binance's empty candle (volume 0, o=h=l=c=previous close), but
 *   only from the symbol's first trade on (before it the symbol did not trade at all), and only
 *   within `maxFillGapMs` of the last traded minute: Binance's rule is for quiet minutes in a
 *   session, not for gaps of years. A window starting more than that after the previous trade
 *   gets no candle (it is missing: the coverage ledger and a backfill see it), and is never
 *   materialised: the operator skips to the next traded window, so memory and time stay bounded
 *   whatever the distance between two trades.
 * - Larger windows are merged from the non-empty minutes only.
 * - A duplicate (same exchange, symbol, trade id) counts once.
 * - A late trade (its window already final) is added, counted, and the affected final candles
 *   are re-emitted with revision + 1 (including later empty windows whose carried-forward close
 *   it changes), so the latest revisions always equal a batch recomputation.
 * - State older than `retentionMs` behind the watermark is pruned; a trade older than that is
 *   reported as `forgotten` (the caller decides: check bronze, repair from bronze).
 */
import { CANDLE_INTERVALS, DEFAULT_MAX_FILL_GAP_MS, INTERVAL_MINUTES, type CandleEvent, type CandleInterval, type TradeEvent } from '../../common/events/index.ts';
import { IdRangeSet } from './id-range-set.ts';
import { MinuteAccumulator, PRICE_SCALE, QTY_SCALE, QUOTE_FAST_SCALE, QUOTE_SCALE, VWAP_SCALE } from './minute-accumulator.ts';
import { divideRounded, formatScaled, parseDual, parseScaled, sumValue, type Scaled } from './scaled.ts';
import { Watermarks } from './watermarks.ts';

export const MINUTE_US = 60_000_000;

export interface CandleOperatorOptions {
  /** Out-of-orderness bound: watermark = max event time − this. */
  readonly watermarkBoundMs?: number;
  /** A partition without events for this long (processing time) stops holding the watermark. */
  readonly idleTimeoutMs?: number;
  /** How far behind the watermark final windows stay revisable and trade ids are remembered. */
  readonly retentionMs?: number;
  readonly provisionalThrottleMs?: number;
  readonly intervals?: readonly CandleInterval[];
  /** Empty windows get a candle only when they start at most this long after the last traded minute. */
  readonly maxFillGapMs?: number;
  /** Once every partition is idle this long, the watermark moves on with processing time (watermarks.ts). */
  readonly idleAdvanceMs?: number;
}

/** Default of `maxFillGapMs` (common/events/candle.ts). */
export { DEFAULT_MAX_FILL_GAP_MS };

export type AddOutcome =
  /** Counted in a forming window. */
  | 'accepted'
  /** Counted in a window already final: its candles will be revised at the next `advance`. */
  | 'late'
  /** Already counted (same exchange, symbol and trade id). */
  | 'duplicate'
  /** Older than the retention horizon: not counted here; the caller must handle it. */
  | 'forgotten';

interface Emitted {
  revision: number;
  fingerprint: string;
  /** Trades in what was emitted: a revision never holds fewer (see `revisionLosesTrades`). */
  tradeCount: number;
}

/**
 * Trades only ever join a window, so a revision with fewer trades than what was emitted means
 * some are still on their way (being read again after a restart or a handover, while the
 * emitted candle came from silver): wait for them instead of publishing a candle with trades
 * taken away. When they arrive, the window is revised whole (or found unchanged).
 */
function revisionLosesTrades(prev: Emitted, next: CandleEvent): boolean {
  return next.tradeCount < prev.tradeCount;
}

class SymbolState {
  readonly minutes = new Map<number, MinuteAccumulator>();
  /** Sorted minute indices of `minutes` (all non-empty). */
  nonEmpty: number[] = [];
  readonly ids = new IdRangeSet();
  /** Earliest minute with a trade (undefined until the first trade). */
  firstMinute: number | undefined;
  /** Per interval: start minute of the first window not yet final. */
  readonly frontier: number[];
  /** max(frontier): a trade before it falls into some final window. */
  maxFrontier = Number.NEGATIVE_INFINITY;
  /** Per interval: final windows still revisable (start minute → what was emitted). */
  readonly emitted: Map<number, Emitted>[];
  /** Minutes below this were pruned. */
  retainFrom = Number.NEGATIVE_INFINITY;
  /** Close of the latest pruned non-empty minute (the carried-forward price after pruning) and that minute. */
  carryClose: Scaled | undefined;
  carryMinute = Number.NEGATIVE_INFINITY;
  /** Smallest late minute waiting for a revision pass. */
  lateFrom = Number.POSITIVE_INFINITY;
  /** Forming minutes touched since the last provisional emission. */
  dirtyFrom = Number.POSITIVE_INFINITY;
  dirtyTo = Number.NEGATIVE_INFINITY;
  inDirtyList = false;
  lastProvisionalMs = Number.NEGATIVE_INFINITY;
  lastAdded: MinuteAccumulator | undefined;
  lastAddedMinute = Number.NaN;
  lastPriceText = '';
  lastPrice: Scaled = 0;
  /** Start minute of the missing run (1m windows beyond the fill gap) the 1m frontier is in, if any. */
  gapFromMinute: number | undefined;
  /** Missing 1m windows passed since the last `takeMissing`. */
  missingSinceTake = 0;

  constructor(
    readonly exchange: string,
    readonly symbol: string,
    readonly partition: number,
    intervalCount: number,
  ) {
    this.frontier = new Array<number>(intervalCount).fill(Number.NaN);
    this.emitted = Array.from({ length: intervalCount }, () => new Map<number, Emitted>());
  }
}

export interface OperatorCounters {
  accepted: number;
  late: number;
  duplicate: number;
  forgotten: number;
  finalEmitted: number;
  revisionsEmitted: number;
  provisionalEmitted: number;
  /** 1m windows left without a candle because they lie beyond the fill gap (missing minutes). */
  missingMinutes: number;
}

/** A run of 1m windows left without a candle (beyond the fill gap): missing, for the coverage ledger and a backfill. */
export interface MissingRange {
  readonly exchange: string;
  readonly symbol: string;
  /** Start of the first missing minute (epoch µs). */
  readonly fromUs: number;
  /** End of the last missing minute (exclusive; epoch µs): the next candle's window start. */
  readonly untilUs: number;
  readonly minutes: number;
}

/** What `takeMissing` hands over since its last call. */
export interface MissingReport {
  /** Missing 1m windows per symbol that the watermark passed (counted as they pass). */
  readonly minutes: ReadonlyArray<{ readonly exchange: string; readonly symbol: string; readonly minutes: number }>;
  /** Missing runs that began: the symbol stopped trading for longer than the fill gap. */
  readonly opened: ReadonlyArray<{ readonly exchange: string; readonly symbol: string; readonly fromUs: number }>;
  /** Missing runs that ended: a candle again after them (their whole range). */
  readonly closed: readonly MissingRange[];
}

export class CandleOperator {
  readonly watermarks: Watermarks;
  readonly counters: OperatorCounters = { accepted: 0, late: 0, duplicate: 0, forgotten: 0, finalEmitted: 0, revisionsEmitted: 0, provisionalEmitted: 0, missingMinutes: 0 };
  private readonly symbols = new Map<string, SymbolState>();
  private readonly byExchange = new Map<string, Map<string, SymbolState>>();
  private readonly intervals: readonly CandleInterval[];
  private readonly sizes: number[];
  private readonly retentionUs: number;
  private readonly throttleMs: number;
  private readonly fillGapMinutes: number;
  private dirty: SymbolState[] = [];
  private missingTouched = new Set<SymbolState>();
  private missingOpened: Array<MissingReport['opened'][number]> = [];
  private missingClosed: MissingRange[] = [];
  private lastState: SymbolState | undefined;
  /** floor(watermark / 1 min) at the last `advance`: windows ending at or before it are final. */
  private limitMinute = Number.NEGATIVE_INFINITY;

  constructor(opts: CandleOperatorOptions = {}) {
    this.watermarks = new Watermarks((opts.watermarkBoundMs ?? 2000) * 1000, opts.idleTimeoutMs ?? 5000, opts.idleAdvanceMs);
    this.intervals = opts.intervals ?? CANDLE_INTERVALS;
    this.sizes = this.intervals.map((i) => INTERVAL_MINUTES[i]);
    const maxMinutes = Math.max(...this.sizes);
    // Retention must cover the largest window, or its minutes would be pruned before it closes.
    this.retentionUs = Math.max(opts.retentionMs ?? 6 * 3_600_000, 2 * maxMinutes * 60_000) * 1000;
    this.throttleMs = opts.provisionalThrottleMs ?? 250;
    this.fillGapMinutes = Math.floor((opts.maxFillGapMs ?? DEFAULT_MAX_FILL_GAP_MS) / 60_000);
  }

  /** Adds one (validated) trade read from `partition`. */
  add(trade: TradeEvent, partition: number, nowMs: number): AddOutcome {
    const timeUs = trade.tradeTimeUs;
    this.watermarks.observe(partition, timeUs, nowMs);
    const s = this.stateFor(trade.exchange, trade.symbol, partition);
    const minute = Math.floor(timeUs / MINUTE_US);
    if (minute < s.retainFrom || s.ids.isForgotten(trade.tradeId)) {
      this.counters.forgotten++;
      return 'forgotten';
    }
    if (!s.ids.add(trade.tradeId)) {
      this.counters.duplicate++;
      return 'duplicate';
    }
    let acc: MinuteAccumulator;
    if (minute === s.lastAddedMinute) acc = s.lastAdded!;
    else {
      let found = s.minutes.get(minute);
      if (found === undefined) {
        found = new MinuteAccumulator();
        s.minutes.set(minute, found);
        insertSorted(s.nonEmpty, minute);
      }
      acc = found;
      s.lastAdded = acc;
      s.lastAddedMinute = minute;
    }
    // Consecutive trades of a symbol often print the same price: parse it once.
    let price: Scaled;
    if (trade.price === s.lastPriceText) price = s.lastPrice;
    else {
      price = parseScaled(trade.price, PRICE_SCALE);
      s.lastPriceText = trade.price;
      s.lastPrice = price;
    }
    const qty = parseScaled(trade.qty, QTY_SCALE);
    const quote = parseDual(trade.quoteQty, QUOTE_FAST_SCALE, QUOTE_SCALE);
    if (trade.kind === 'aggTrade') acc.add(trade.tradeId, trade.firstTradeId!, trade.lastTradeId!, price, qty, quote, !trade.isBuyerMaker);
    else acc.add(trade.tradeId, trade.tradeId, trade.tradeId, price, qty, quote, !trade.isBuyerMaker);

    if (s.firstMinute === undefined) {
      s.firstMinute = minute;
      for (let i = 0; i < this.sizes.length; i++) s.frontier[i] = alignDown(minute, this.sizes[i]);
      s.maxFrontier = Math.max(...s.frontier);
    } else if (minute < s.firstMinute) {
      // A new earliest trade: the windows between it and the old first one were never emitted.
      // Those the watermark has not passed yet are simply forming; the others are late.
      s.firstMinute = minute;
      for (let i = 0; i < this.sizes.length; i++) {
        const k = this.sizes[i];
        s.frontier[i] = Math.min(s.frontier[i], Math.max(alignDown(minute, k), alignDown(this.limitMinute, k)));
      }
      s.maxFrontier = Math.max(...s.frontier);
    }

    // Late when a window containing it is already final for this symbol.
    const late = minute < s.maxFrontier;
    if (late) {
      if (minute < s.lateFrom) s.lateFrom = minute;
      this.counters.late++;
    }
    if (minute < s.dirtyFrom) s.dirtyFrom = minute;
    if (minute > s.dirtyTo) s.dirtyTo = minute;
    if (!s.inDirtyList) {
      s.inDirtyList = true;
      this.dirty.push(s);
    }
    if (late) return 'late';
    this.counters.accepted++;
    return 'accepted';
  }

  /** The global watermark (epoch µs). */
  get watermarkUs(): number {
    return this.watermarks.value;
  }

  /**
   * Moves the watermark to what `nowMs` allows and returns, per symbol, the revisions of final
   * windows that late trades changed and the windows that became final (in window order).
   */
  advance(nowMs: number): CandleEvent[] {
    const wm = this.watermarks.advance(nowMs);
    const out: CandleEvent[] = [];
    if (wm === Number.NEGATIVE_INFINITY) return out;
    const limitMinute = Math.floor(wm / MINUTE_US);
    this.limitMinute = limitMinute;
    const nowUs = nowMs * 1000;
    for (const s of this.symbols.values()) {
      if (s.firstMinute === undefined) continue;
      if (s.lateFrom !== Number.POSITIVE_INFINITY) this.revise(s, nowUs, out);
      for (let i = 0; i < this.sizes.length; i++) {
        const k = this.sizes[i];
        const lastFinal = alignDown(limitMinute, k);
        for (let start = s.frontier[i]; start + k <= limitMinute; ) {
          let next = start + k;
          if (!this.emitFinal(s, i, start, nowUs, out)) {
            // No candle here, nor before the next traded window: skip the gap without walking it.
            next = Math.max(next, Math.min(this.nextTradedWindow(s, next, k), lastFinal));
            if (k === 1) this.noteMissing(s, start, next);
          } else if (k === 1 && s.gapFromMinute !== undefined) this.closeMissing(s, start);
          start = next;
          s.frontier[i] = start;
        }
        if (s.frontier[i] > s.maxFrontier) s.maxFrontier = s.frontier[i];
      }
      this.prune(s, wm);
    }
    return out;
  }

  /**
   * The missing 1m windows the watermark passed since the last call, and the missing runs that
   * began and ended (a run is reported once when it begins and once, whole, when it ends; one
   * still open at a restart is found again from silver's frontier by the next owner).
   */
  takeMissing(): MissingReport {
    const minutes = [...this.missingTouched].map((s) => ({ exchange: s.exchange, symbol: s.symbol, minutes: s.missingSinceTake }));
    for (const s of this.missingTouched) s.missingSinceTake = 0;
    this.missingTouched.clear();
    const report = { minutes, opened: this.missingOpened, closed: this.missingClosed };
    this.missingOpened = [];
    this.missingClosed = [];
    return report;
  }

  private noteMissing(s: SymbolState, fromMinute: number, untilMinute: number): void {
    const n = untilMinute - fromMinute;
    if (n <= 0) return;
    this.counters.missingMinutes += n;
    s.missingSinceTake += n;
    this.missingTouched.add(s);
    if (s.gapFromMinute === undefined) {
      s.gapFromMinute = fromMinute;
      this.missingOpened.push({ exchange: s.exchange, symbol: s.symbol, fromUs: fromMinute * MINUTE_US });
    }
  }

  private closeMissing(s: SymbolState, untilMinute: number): void {
    const from = s.gapFromMinute!;
    s.gapFromMinute = undefined;
    this.missingClosed.push({ exchange: s.exchange, symbol: s.symbol, fromUs: from * MINUTE_US, untilUs: untilMinute * MINUTE_US, minutes: untilMinute - from });
  }

  /** Forming candles touched since their symbol's last provisional emission (throttled). */
  provisional(nowMs: number): CandleEvent[] {
    const out: CandleEvent[] = [];
    if (this.dirty.length === 0) return out;
    const keep: SymbolState[] = [];
    const nowUs = nowMs * 1000;
    for (const s of this.dirty) {
      if (nowMs - s.lastProvisionalMs < this.throttleMs) {
        keep.push(s);
        continue;
      }
      s.inDirtyList = false;
      s.lastProvisionalMs = nowMs;
      for (let i = 0; i < this.sizes.length; i++) {
        const k = this.sizes[i];
        const from = Math.max(alignDown(s.dirtyFrom, k), s.frontier[i]);
        for (let start = from; start <= s.dirtyTo; start += k) {
          const acc = this.windowAccumulator(s, start, k);
          if (acc === undefined) {
            start = Math.max(start, this.nextTradedWindow(s, start + k, k) - k);
            continue;
          }
          out.push(this.toEvent(s, this.intervals[i], start, k, acc, 0, false, null, nowUs));
          this.counters.provisionalEmitted++;
        }
      }
      s.dirtyFrom = Number.POSITIVE_INFINITY;
      s.dirtyTo = Number.NEGATIVE_INFINITY;
    }
    this.dirty = keep;
    return out;
  }

  /** When the next throttled provisional emission is due (ms), or undefined if none pending. */
  nextProvisionalDueMs(): number | undefined {
    let due: number | undefined;
    for (const s of this.dirty) {
      const t = s.lastProvisionalMs + this.throttleMs;
      if (due === undefined || t < due) due = t;
    }
    return due;
  }

  /**
   * Tells the operator what was already emitted for a window (recovery from silver): final
   * windows before `frontier` count as emitted with this revision and content, so a restart
   * re-emits only what changed.
   */
  restoreEmitted(exchange: string, symbol: string, partition: number, interval: CandleInterval, windowStartUs: number, candle: CandleEvent): void {
    const s = this.stateFor(exchange, symbol, partition);
    const i = this.intervals.indexOf(interval);
    if (i < 0) return;
    s.emitted[i].set(Math.floor(windowStartUs / MINUTE_US), { revision: candle.revision, fingerprint: fingerprint(candle), tradeCount: candle.tradeCount });
  }

  /**
   * Recovery: declares every window of `interval` that starts before `frontierUs` final (it is
   * in silver already), and the carried-forward close before the first retained minute.
   */
  restoreFrontier(
    exchange: string,
    symbol: string,
    partition: number,
    frontierUs: Record<CandleInterval, number>,
    carry: { close: string; timeUs: number } | undefined,
    retainFromUs: number,
  ): void {
    const s = this.stateFor(exchange, symbol, partition);
    const retainFrom = Math.floor(retainFromUs / MINUTE_US);
    s.retainFrom = retainFrom;
    if (carry !== undefined) {
      s.carryClose = parseScaled(carry.close, PRICE_SCALE);
      s.carryMinute = Math.floor(carry.timeUs / MINUTE_US);
    }
    for (let i = 0; i < this.intervals.length; i++) s.frontier[i] = Math.floor(frontierUs[this.intervals[i]] / MINUTE_US);
    s.maxFrontier = Math.max(...s.frontier);
    // The symbol traded before (silver has its candles): windows from the retained range on are
    // emitted as soon as a previous close exists (the carried one, or the first replayed trade).
    if (s.firstMinute === undefined || s.firstMinute > retainFrom) s.firstMinute = retainFrom;
  }

  /** Forgets every symbol read from `partition` (it was revoked from this consumer). */
  dropPartition(partition: number): void {
    for (const [key, s] of this.symbols) {
      if (s.partition !== partition) continue;
      this.symbols.delete(key);
      this.byExchange.get(s.exchange)?.delete(s.symbol);
    }
    this.dirty = this.dirty.filter((s) => s.partition !== partition);
    this.lastState = undefined;
    this.watermarks.drop(partition);
  }

  /** The partition a symbol's trades are read from, or undefined when the operator holds no state for it. */
  partitionOf(exchange: string, symbol: string): number | undefined {
    return this.byExchange.get(exchange)?.get(symbol)?.partition;
  }

  /** Minutes before this (epoch µs) are no longer held for the symbol (undefined: no state, or nothing pruned yet). */
  retainedFromUs(exchange: string, symbol: string): number | undefined {
    const r = this.byExchange.get(exchange)?.get(symbol)?.retainFrom;
    return r === undefined || r === Number.NEGATIVE_INFINITY ? undefined : r * MINUTE_US;
  }

  /** Empty windows get a candle up to this long after the last traded minute (ms). */
  get maxFillGapMs(): number {
    return this.fillGapMinutes * 60_000;
  }

  get symbolCount(): number {
    return this.symbols.size;
  }

  private stateFor(exchange: string, symbol: string, partition: number): SymbolState {
    const last = this.lastState;
    if (last !== undefined && last.symbol === symbol && last.exchange === exchange) return last;
    // Two-level lookup: no key string is built per trade.
    let bySymbol = this.byExchange.get(exchange);
    if (bySymbol === undefined) {
      bySymbol = new Map();
      this.byExchange.set(exchange, bySymbol);
    }
    let s = bySymbol.get(symbol);
    if (s === undefined) {
      s = new SymbolState(exchange, symbol, partition, this.sizes.length);
      bySymbol.set(symbol, s);
      this.symbols.set(`${exchange}:${symbol}`, s);
    }
    this.lastState = s;
    return s;
  }

  /** Emits window `start` of interval `i` if it has a candle (and it changed); false when it has none. */
  private emitFinal(s: SymbolState, i: number, start: number, nowUs: number, out: CandleEvent[]): boolean {
    const k = this.sizes[i];
    if (start + k <= s.firstMinute!) return false; // before the symbol's first trade: no candle
    const acc = this.windowAccumulator(s, start, k);
    if (acc === undefined) return false;
    const event = this.toEvent(s, this.intervals[i], start, k, acc, 0, true, nowUs, nowUs);
    const fp = fingerprint(event);
    const prev = s.emitted[i].get(start);
    if (prev !== undefined) {
      // Restored from silver after a restart: re-emit only if the content changed.
      if (prev.fingerprint === fp || revisionLosesTrades(prev, event)) return true;
      const revised = { ...event, revision: prev.revision + 1 };
      s.emitted[i].set(start, { revision: revised.revision, fingerprint: fp, tradeCount: event.tradeCount });
      out.push(revised);
      this.counters.revisionsEmitted++;
      return true;
    }
    s.emitted[i].set(start, { revision: 0, fingerprint: fp, tradeCount: event.tradeCount });
    out.push(event);
    this.counters.finalEmitted++;
    return true;
  }

  /** Start of the first window of size `k` at or after `from` that holds a trade (+Infinity if none). */
  private nextTradedWindow(s: SymbolState, from: number, k: number): number {
    const idx = lowerBound(s.nonEmpty, from);
    return idx < s.nonEmpty.length ? Math.max(from, alignDown(s.nonEmpty[idx], k)) : Number.POSITIVE_INFINITY;
  }

  /** Re-evaluates the final windows from the earliest late minute on; emits what changed. */
  private revise(s: SymbolState, nowUs: number, out: CandleEvent[]): void {
    const lateFrom = s.lateFrom;
    s.lateFrom = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.sizes.length; i++) {
      const k = this.sizes[i];
      for (let start = alignDown(lateFrom, k); start < s.frontier[i]; start += k) {
        const acc = start + k <= s.firstMinute! ? undefined : this.windowAccumulator(s, start, k);
        if (acc === undefined) {
          start = Math.max(start, this.nextTradedWindow(s, start + k, k) - k);
          continue;
        }
        const event = this.toEvent(s, this.intervals[i], start, k, acc, 0, true, nowUs, nowUs);
        const fp = fingerprint(event);
        const prev = s.emitted[i].get(start);
        if (prev !== undefined && (prev.fingerprint === fp || revisionLosesTrades(prev, event))) continue;
        const revision = prev === undefined ? 0 : prev.revision + 1;
        s.emitted[i].set(start, { revision, fingerprint: fp, tradeCount: event.tradeCount });
        out.push(revision === 0 ? event : { ...event, revision });
        if (revision === 0) this.counters.finalEmitted++;
        else this.counters.revisionsEmitted++;
      }
    }
  }

  /**
   * The aggregate of window [start, start + k) in minutes: merged from its non-empty minutes,
   * or an empty accumulator carrying the previous close, or undefined before the first trade.
   */
  private windowAccumulator(s: SymbolState, start: number, k: number): MinuteAccumulator | undefined {
    if (k === 1) {
      const acc = s.minutes.get(start);
      if (acc !== undefined) return acc;
    } else {
      const nonEmpty = s.nonEmpty;
      let idx = lowerBound(nonEmpty, start);
      if (idx < nonEmpty.length && nonEmpty[idx] < start + k) {
        const merged = new MinuteAccumulator();
        for (; idx < nonEmpty.length && nonEmpty[idx] < start + k; idx++) merged.merge(s.minutes.get(nonEmpty[idx])!);
        return merged;
      }
    }
    const prev = this.previousClose(s, start);
    if (prev === undefined) return undefined;
    // Beyond the fill gap: no candle (a missing window, not a quiet one).
    if (start - prev.minute > this.fillGapMinutes) return undefined;
    const empty = new MinuteAccumulator();
    empty.high = empty.low = empty.openPrice = empty.closePrice = prev.close;
    return empty;
  }

  /** The close of the last traded minute before `beforeMinute`, and that minute. */
  private previousClose(s: SymbolState, beforeMinute: number): { close: Scaled; minute: number } | undefined {
    const idx = lowerBound(s.nonEmpty, beforeMinute) - 1;
    if (idx >= 0) return { close: s.minutes.get(s.nonEmpty[idx])!.closePrice, minute: s.nonEmpty[idx] };
    return s.carryClose === undefined ? undefined : { close: s.carryClose, minute: s.carryMinute };
  }

  /** Drops minutes and emitted records older than the retention horizon (whole hours). */
  private prune(s: SymbolState, wm: number): void {
    let target = alignDown(Math.floor((wm - this.retentionUs) / MINUTE_US), 60);
    for (const f of s.frontier) target = Math.min(target, f);
    if (target <= s.retainFrom) return;
    s.retainFrom = target;
    const nonEmpty = s.nonEmpty;
    let cut = 0;
    while (cut < nonEmpty.length && nonEmpty[cut] < target) cut++;
    if (cut > 0) {
      s.carryClose = s.minutes.get(nonEmpty[cut - 1])!.closePrice;
      s.carryMinute = nonEmpty[cut - 1];
      // Ids up to the largest pruned one can no longer be told apart from duplicates.
      let maxPrunedId = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < cut; j++) {
        const acc = s.minutes.get(nonEmpty[j])!;
        if (acc.closeId > maxPrunedId) maxPrunedId = acc.closeId;
        s.minutes.delete(nonEmpty[j]);
      }
      s.ids.forgetBelow(maxPrunedId + 1);
      s.nonEmpty = nonEmpty.slice(cut);
      if (s.lastAddedMinute < target) {
        s.lastAdded = undefined;
        s.lastAddedMinute = Number.NaN;
      }
    }
    for (const m of s.emitted) for (const start of m.keys()) if (start < target) m.delete(start);
  }

  private toEvent(
    s: SymbolState,
    interval: CandleInterval,
    start: number,
    k: number,
    acc: MinuteAccumulator,
    revision: number,
    isFinal: boolean,
    finalizedAtUs: number | null,
    emittedAtUs: number,
  ): CandleEvent {
    const volume = sumValue(acc.volume);
    const quote = sumValue(acc.quoteVolume);
    const empty = acc.events === 0;
    return {
      v: 1,
      exchange: s.exchange,
      symbol: s.symbol,
      interval,
      windowStartUs: start * MINUTE_US,
      windowEndUs: (start + k) * MINUTE_US,
      open: formatScaled(acc.openPrice, PRICE_SCALE),
      high: formatScaled(acc.high, PRICE_SCALE),
      low: formatScaled(acc.low, PRICE_SCALE),
      close: formatScaled(acc.closePrice, PRICE_SCALE),
      volume: formatScaled(volume, QTY_SCALE),
      quoteVolume: formatScaled(quote, QUOTE_SCALE),
      vwap: volume === 0n ? null : formatScaled(divideRounded(quote, volume, QUOTE_SCALE, QTY_SCALE, VWAP_SCALE), VWAP_SCALE),
      tradeCount: acc.tradeCount,
      takerBuyVolume: formatScaled(sumValue(acc.takerBuyVolume), QTY_SCALE),
      takerBuyQuoteVolume: formatScaled(sumValue(acc.takerBuyQuoteVolume), QUOTE_SCALE),
      firstTradeId: empty ? null : acc.firstTradeId,
      lastTradeId: empty ? null : acc.lastTradeId,
      revision,
      isFinal,
      finalizedAtUs,
      emittedAtUs,
    };
  }
}

/** The content of a candle (what a revision must change), without revision or timestamps. */
export function fingerprint(c: CandleEvent): string {
  return `${c.open}|${c.high}|${c.low}|${c.close}|${c.volume}|${c.quoteVolume}|${c.vwap}|${c.tradeCount}|${c.takerBuyVolume}|${c.takerBuyQuoteVolume}|${c.firstTradeId}|${c.lastTradeId}`;
}

function alignDown(minute: number, k: number): number {
  return Math.floor(minute / k) * k;
}

function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: number[], value: number): void {
  const n = sorted.length;
  if (n === 0 || sorted[n - 1] < value) {
    sorted.push(value);
    return;
  }
  sorted.splice(lowerBound(sorted, value), 0, value);
}
