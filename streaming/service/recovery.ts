/**
 * Rebuilding the candle operator's state from the lake, on start and after every rebalance: the
 * "simplest correct" option of exactly-once. Bronze holds exactly the trades up to the Kafka
 * offsets recorded in its commits, and silver holds what was finalised; so for every symbol of
 * the partitions we now own we
 *   1. read silver's frontier (the end of the last final window per interval),
 *   2. replay into a fresh operator state the bronze trades from the start of the oldest window
 *      that is still open or still revisable (the retention horizon), and
 *   3. tell the operator which of those windows silver already has (revision and content),
 * then resume consuming at the bronze offsets. Windows missing from silver (a crash between the
 * bronze and the silver commit) are emitted at the next flush; windows whose content differs
 * (a revision lost the same way) are re-emitted with revision + 1; nothing is emitted twice.
 *
 * Every read is bounded to what the partitions we now own can hold (the symbols whose files say
 * they map to them, from the Delta log's partition values and file statistics) and, per symbol,
 * to the dates that matter: its first and last dates for its time span, the retained range for
 * the replay and the restored candles, the fill gap before it for the carried close. A resume
 * so reads the retained hours of its own symbols, not every file of the lake.
 *
 * Below the retained range, silver is reconciled with bronze by hour: a previous owner may have
 * committed trades to bronze (too late for its horizon) whose repair never reached silver (its
 * candle commit was fenced, or it was revoked before the repair). Every hour whose trade count in
 * bronze differs from silver's final 1h candle is returned as a repair to run (too-late.ts).
 *
 * Such a discrepancy can only be where a file was written lately: the trades of a lost repair
 * were committed by a previous owner shortly before the handover (or the crash) that lost it. So
 * the reconciliation reads only the (symbol, date) partitions of our symbols holding a bronze or
 * silver file written at or after `reconcileSinceMs` (the add actions' modificationTime, from the
 * Delta log: no data read to find them), never the symbols' whole history; the caller sets it to
 * STREAM_RECONCILE_LOOKBACK_HOURS before the partitions' last bronze commit (partitions.ts).
 */
import { CANDLE_INTERVALS, INTERVAL_MINUTES, type CandleInterval, type TradeEvent, type TradeSource } from '../../common/events/index.ts';
import { candleEventFromRow, parseStats, SILVER_CANDLE_EVENT_COLUMNS, sqlLiteral, type LakeQueryEngine, type Snapshot } from '../../lake/index.ts';
import { MINUTE_US, type CandleOperator } from '../candles/candle-operator.ts';
import { partitionOfKey } from './partition-of.ts';

const HOUR_US = 60 * MINUTE_US;

export interface RecoveryResult {
  readonly symbols: number;
  readonly trades: number;
  readonly restoredCandles: number;
  /** Ranges below the retained range where silver's 1h candles do not account for bronze's trades. */
  readonly unreconciled: Array<{ exchange: string; symbol: string; partition: number; fromUs: number; toUs: number }>;
  /** (symbol, date) partitions the reconciliation compared (those with a file written since `reconcileSinceMs`). */
  readonly reconciledPartitions: number;
}

const NOTHING_RECOVERED: RecoveryResult = { symbols: 0, trades: 0, restoredCandles: 0, unreconciled: [], reconciledPartitions: 0 };

function alignDown(us: number, sizeUs: number): number {
  return Math.floor(us / sizeUs) * sizeUs;
}

/** `DATE 'YYYY-MM-DD'` of an epoch-µs instant (the lake's `date` partition column is the UTC date). */
function dateOf(us: number): string {
  return `DATE '${new Date(Math.floor(us / 1000)).toISOString().slice(0, 10)}'`;
}

/** Per symbol of a table partitioned by (symbol, date): the exchanges its files name and its first and last dates. */
interface SymbolFiles {
  /** Undefined when a file lacks statistics or holds several exchanges (then the symbol is read whole). */
  exchanges: Set<string> | undefined;
  firstDate: string;
  lastDate: string;
}

/**
 * The symbols of `snapshot` that may map to one of the `wanted` partitions, from the log alone
 * (partition values, and each file's min/max `exchange`); a symbol whose files do not say which
 * exchange they hold is kept (the SQL that follows filters by partition exactly).
 */
function symbolsOfPartitions(snapshot: Snapshot | undefined, wanted: ReadonlySet<number>, numPartitions: number): Map<string, SymbolFiles> {
  const out = new Map<string, SymbolFiles>();
  for (const f of snapshot?.addFiles() ?? []) {
    const symbol = f.partitionValues.symbol;
    const date = f.partitionValues.date;
    if (symbol == null || date == null) continue;
    const stats = parseStats(f);
    const lo = stats?.minValues.exchange;
    const hi = stats?.maxValues.exchange;
    const exchange = typeof lo === 'string' && lo === hi ? lo : undefined;
    if (exchange !== undefined && !wanted.has(partitionOfKey(`${exchange}:${symbol}`, numPartitions))) continue;
    const seen = out.get(symbol);
    if (seen === undefined) {
      out.set(symbol, { exchanges: exchange === undefined ? undefined : new Set([exchange]), firstDate: date, lastDate: date });
      continue;
    }
    if (exchange === undefined) seen.exchanges = undefined;
    else seen.exchanges?.add(exchange);
    if (date < seen.firstDate) seen.firstDate = date;
    if (date > seen.lastDate) seen.lastDate = date;
  }
  return out;
}

/** Per symbol of `symbols`, the dates of `snapshot` holding a file written at or after `sinceMs` (from the log's add actions). */
function datesWrittenSince(snapshot: Snapshot | undefined, symbols: ReadonlySet<string>, sinceMs: number, into: Map<string, Set<string>>): void {
  for (const f of snapshot?.addFiles() ?? []) {
    const symbol = f.partitionValues.symbol;
    const date = f.partitionValues.date;
    if (symbol == null || date == null || !symbols.has(symbol) || !(f.modificationTime >= sinceMs)) continue;
    const dates = into.get(symbol) ?? new Set<string>();
    dates.add(date);
    into.set(symbol, dates);
  }
}

function symbolInList(symbols: Iterable<string>): string {
  return `symbol IN (${[...symbols].map(sqlLiteral).join(', ')})`;
}

/**
 * Restores the state of every symbol whose key maps to one of `partitions` of a topic with
 * `numPartitions` partitions. `engine` must have been refreshed after the last bronze commit.
 */
export async function recoverOperatorState(opts: {
  engine: LakeQueryEngine;
  operator: CandleOperator;
  partitions: readonly number[];
  numPartitions: number;
  retentionMs: number;
  nowMs: number;
  /**
   * The reconciliation compares only partitions with a file written at or after this (epoch ms);
   * -Infinity compares every partition of the symbols (their whole history).
   */
  reconcileSinceMs: number;
}): Promise<RecoveryResult> {
  const { engine, operator } = opts;
  const wanted = new Set(opts.partitions);
  const bronzeFiles = symbolsOfPartitions(engine.tableSnapshot('bronze/trades'), wanted, opts.numPartitions);
  const silverFiles = symbolsOfPartitions(engine.tableSnapshot('silver/candles'), wanted, opts.numPartitions);
  if (bronzeFiles.size === 0 && silverFiles.size === 0) return NOTHING_RECOVERED;
  // Each symbol's time span: its first and last dates hold its first and last trades (when its
  // files name one exchange; otherwise the symbol is read whole).
  const spans: Array<{ exchange: string; symbol: string; firstUs: number; lastUs: number }> = [];
  for (const [symbol, f] of bronzeFiles) {
    const dates = f.exchanges?.size === 1 ? ` AND "date" IN (DATE ${sqlLiteral(f.firstDate)}, DATE ${sqlLiteral(f.lastDate)})` : '';
    const rows = (
      await engine.query(`SELECT exchange, epoch_us(min(trade_time)) AS first_us, epoch_us(max(trade_time)) AS last_us FROM bronze_trades WHERE symbol = ${sqlLiteral(symbol)}${dates} GROUP BY exchange`)
    ).rows;
    for (const r of rows) spans.push({ exchange: String(r.exchange), symbol, firstUs: Number(r.first_us), lastUs: Number(r.last_us) });
  }
  const symbols = spans.filter((s) => wanted.has(partitionOfKey(`${s.exchange}:${s.symbol}`, opts.numPartitions)));

  const frontiers = new Map<string, Partial<Record<CandleInterval, number>>>();
  const silverStarts = new Map<string, { exchange: string; symbol: string; startUs: number }>();
  for (const r of (
    silverFiles.size === 0
      ? { rows: [] }
      : await engine.query(
          `SELECT exchange, symbol, "interval", epoch_us(max(window_end)) AS end_us, epoch_us(min(window_start)) AS start_us FROM silver_candles_all_revisions WHERE ${symbolInList(silverFiles.keys())} AND is_final GROUP BY ALL`,
        )
  ).rows) {
    const key = `${r.exchange}:${r.symbol}`;
    const f = frontiers.get(key) ?? {};
    f[String(r.interval) as CandleInterval] = Number(r.end_us);
    frontiers.set(key, f);
    const start = silverStarts.get(key);
    if (start === undefined || Number(r.start_us) < start.startUs) silverStarts.set(key, { exchange: String(r.exchange), symbol: String(r.symbol), startUs: Number(r.start_us) });
  }
  // A symbol can have final candles in silver before any of its trades is in bronze: a candle is
  // finalised from trades consumed while the bronze commit was in flight, and the owner may have
  // lost the partition before committing them. Its emitted candles must be restored all the same,
  // or the trades, read again, would emit them a second time.
  const inBronze = new Set(symbols.map((s) => `${s.exchange}:${s.symbol}`));
  for (const [key, s] of silverStarts) {
    if (inBronze.has(key) || !wanted.has(partitionOfKey(key, opts.numPartitions))) continue;
    symbols.push({ exchange: s.exchange, symbol: s.symbol, firstUs: s.startUs, lastUs: s.startUs });
  }
  if (symbols.length === 0) return NOTHING_RECOVERED;
  // Hours whose bronze trade count differs from silver's final 1h candle (or that have none), of
  // our symbols, in the partitions written since `reconcileSinceMs` (an hour lies in one date, so
  // both sides are whole hours; silver's latest 1h revisions read through the prunable
  // all-revisions view). One query per symbol: pruning takes a symbol and a list of dates.
  const mismatchedHours = new Map<string, number[]>();
  const ourSymbols = new Set(symbols.map((s) => s.symbol));
  const changed = new Map<string, Set<string>>();
  datesWrittenSince(engine.tableSnapshot('bronze/trades'), ourSymbols, opts.reconcileSinceMs, changed);
  datesWrittenSince(engine.tableSnapshot('silver/candles'), ourSymbols, opts.reconcileSinceMs, changed);
  let reconciledPartitions = 0;
  for (const [symbol, dates] of changed) {
    reconciledPartitions += dates.size;
    const where = `symbol = ${sqlLiteral(symbol)} AND "date" IN (${[...dates].map((d) => `DATE ${sqlLiteral(d)}`).join(', ')})`;
    for (const r of (
      await engine.query(`
        WITH b AS (
          SELECT exchange, symbol, (epoch_us(trade_time) // ${HOUR_US}) * ${HOUR_US} AS h,
            sum(CASE WHEN kind = 'aggTrade' THEN last_trade_id - first_trade_id + 1 ELSE 1 END) AS n
          FROM bronze_trades WHERE ${where} GROUP BY ALL
        ), s AS (
          SELECT exchange, symbol, epoch_us(window_start) AS h, trade_count AS n
          FROM silver_candles_all_revisions WHERE ${where} AND "interval" = '1h'
          QUALIFY row_number() OVER (PARTITION BY exchange, symbol, window_start ORDER BY revision DESC) = 1 AND is_final
        )
        SELECT b.exchange, b.symbol, b.h FROM b LEFT JOIN s USING (exchange, symbol, h) WHERE s.n IS DISTINCT FROM b.n`)
    ).rows) {
      const key = `${r.exchange}:${r.symbol}`;
      const list = mismatchedHours.get(key) ?? [];
      list.push(Number(r.h));
      mismatchedHours.set(key, list);
    }
  }
  const unreconciled: RecoveryResult['unreconciled'] = [];

  let trades = 0;
  let restoredCandles = 0;
  const retentionUs = opts.retentionMs * 1000;
  for (const s of symbols) {
    const key = `${s.exchange}:${s.symbol}`;
    const partition = partitionOfKey(key, opts.numPartitions);
    const silver = frontiers.get(key);
    const where = `exchange = ${sqlLiteral(s.exchange)} AND symbol = ${sqlLiteral(s.symbol)}`;
    let fromUs = alignDown(s.firstUs, HOUR_US);
    if (silver !== undefined) {
      const frontierUs = {} as Record<CandleInterval, number>;
      for (const interval of CANDLE_INTERVALS) {
        const sizeUs = INTERVAL_MINUTES[interval] * MINUTE_US;
        frontierUs[interval] = silver[interval] ?? alignDown(s.firstUs, sizeUs);
      }
      const oldestOpen = Math.min(...Object.values(frontierUs));
      fromUs = Math.max(alignDown(Math.min(oldestOpen, s.lastUs - retentionUs), HOUR_US), alignDown(s.firstUs, HOUR_US));
      // The close carried into the first replayed window: the last trade (by minute, then id) before
      // it. Only one within the fill gap before it can give an empty window a candle, so only those
      // are read (none there: no carried close, the same candles).
      const carryFromUs = alignDown(fromUs - operator.maxFillGapMs * 1000, MINUTE_US) - MINUTE_US;
      const carry = (
        await engine.query(
          `SELECT price::VARCHAR AS price, epoch_us(trade_time) AS time_us FROM bronze_trades
           WHERE ${where} AND "date" BETWEEN ${dateOf(carryFromUs)} AND ${dateOf(fromUs)} AND trade_time >= make_timestamp(${carryFromUs}) AND trade_time < make_timestamp(${fromUs})
           ORDER BY date_trunc('minute', trade_time) DESC, trade_id DESC LIMIT 1`,
        )
      ).rows[0];
      operator.restoreFrontier(s.exchange, s.symbol, partition, frontierUs, carry === undefined ? undefined : { close: String(carry.price), timeUs: Number(carry.time_us) }, fromUs);
      const behind = (mismatchedHours.get(key) ?? []).filter((h) => h + HOUR_US <= Math.min(fromUs, frontierUs['1h']));
      if (behind.length > 0) unreconciled.push({ exchange: s.exchange, symbol: s.symbol, partition, fromUs: Math.min(...behind), toUs: Math.max(...behind) + HOUR_US - 1 });
      // The latest revision of each final window from the retained range on (the all-revisions view
      // prunes by symbol and date; silver_candles would rank every revision of the table first).
      const emitted = await engine.query(
        `SELECT ${SILVER_CANDLE_EVENT_COLUMNS} FROM silver_candles_all_revisions WHERE ${where} AND "date" >= ${dateOf(fromUs)} AND window_start >= make_timestamp(${fromUs})
         QUALIFY row_number() OVER (PARTITION BY "interval", window_start ORDER BY revision DESC) = 1 AND is_final`,
      );
      for (const row of emitted.rows) {
        const c = candleEventFromRow(row);
        operator.restoreEmitted(c.exchange, c.symbol, partition, c.interval, c.windowStartUs, c);
        restoredCandles++;
      }
    }
    const rows = (
      await engine.query(
        `SELECT kind, trade_id, first_trade_id, last_trade_id, price::VARCHAR AS price, qty::VARCHAR AS qty, quote_qty::VARCHAR AS quote_qty,
                is_buyer_maker, epoch_us(trade_time) AS trade_time_us, epoch_us(received_at) AS received_at_us, source
         FROM bronze_trades WHERE ${where} AND "date" >= ${dateOf(fromUs)} AND trade_time >= make_timestamp(${fromUs}) ORDER BY trade_time, trade_id`,
      )
    ).rows;
    for (const r of rows) {
      const t: TradeEvent = {
        v: 1,
        exchange: s.exchange,
        symbol: s.symbol,
        kind: r.kind === 'aggTrade' ? 'aggTrade' : 'trade',
        tradeId: Number(r.trade_id),
        firstTradeId: r.first_trade_id === null ? undefined : Number(r.first_trade_id),
        lastTradeId: r.last_trade_id === null ? undefined : Number(r.last_trade_id),
        price: String(r.price),
        qty: String(r.qty),
        quoteQty: String(r.quote_qty),
        isBuyerMaker: Boolean(r.is_buyer_maker),
        tradeTimeUs: Number(r.trade_time_us),
        receivedAtUs: Number(r.received_at_us),
        source: String(r.source) as TradeSource,
      };
      operator.add(t, partition, opts.nowMs);
    }
    trades += rows.length;
  }
  return { symbols: symbols.length, trades, restoredCandles, unreconciled, reconciledPartitions };
}
