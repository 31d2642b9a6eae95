/**
 * OHLC candles for one symbol and interval over [from, to), read from silver. 1m/5m/15m/1h are
 * silver's own rows (latest revision, empty windows included as streaming writes them: volume 0,
 * O = H = L = C = previous close). 4h and 1d are rolled up from silver's 1m candles, aligned to
 * 00:00 UTC (as are 5m/15m/1h where silver holds only 1m candles, e.g. after a backfill from 1m
 * klines), taking open/high/low/close from the minutes that had trades only (an empty minute
 * carries the previous close, which must not become a high or low); a window with no trade at
 * all is an empty candle at the carried price, as Binance shows it.
 *
 * Gaps: a window silver has no candle for is not invented. Quiet windows are candles in silver
 * (the stream writes them; Binance's klines carry them too), so a window without a candle is
 * data the lake does not have: an exchange outage (Binance returns nothing for those times
 * either) or a stream gap not yet backfilled (gold/coverage counts them as `missing_minutes`).
 * The page lists them as `gaps`, ranges [from, to) at the candle's own interval (at 1 minute for
 * candles rolled up from 1m), only after the series' first candle and before its latest (before
 * the listing and after "now" nothing is missing). A rolled-up candle overlapping a gap is built
 * from the minutes present. Windows that silver has 1m candles for but no candle of the interval's
 * own (its series starts inside the range, or has holes) are rolled up from 1m too.
 *
 * Paging: a page scans at most `limit` windows from `from`; when the scan ends before `to` (or
 * before the latest candle when `to` is open) the answer carries a cursor for the next scan.
 */
import { fromScaled, toScaled } from '../../../common/decimal.ts';
import type { LakeSession } from '../../lake-reader.ts';
import { INTERVAL_US, SILVER_INTERVALS, sqlString, sqlTimestamp, utcDate, type ApiInterval } from '../../params.ts';

export interface OhlcRequest {
  readonly exchange: string;
  readonly symbol: string;
  readonly interval: ApiInterval;
  readonly fromUs?: number;
  readonly toUs?: number;
  readonly limit: number;
  readonly includeProvisional: boolean;
}

/** One candle as the API answers it: silver's column names, decimals as exact strings. */
export interface CandleRow {
  window_start: number;
  window_end: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quote_volume: string;
  vwap: string | null;
  trade_count: number;
  taker_buy_volume: string;
  taker_buy_quote_volume: string;
  is_final: boolean;
}

/** A range [fromUs, toUs) inside the series for which silver holds no candle. */
export interface DataGap {
  readonly fromUs: number;
  readonly toUs: number;
}

/** What the catalog knows of the series, to tell a gap from "before the listing" or "not yet". */
export interface SeriesBounds {
  /** The symbol's first UTC date with candles (catalog), or null. */
  readonly firstDate: string | null;
  /** End (exclusive, µs) of the symbol's latest candle (see latestCandleEnd). */
  readonly latestEndUs: number | undefined;
}

export interface OhlcPage {
  /** The page's candles (empty when `candlesJson` carries them). */
  readonly candles: CandleRow[];
  /**
   * The same candles as the JSON array text the answer carries (see readOhlcPage's `json`), when
   * DuckDB wrote it.
   */
  readonly candlesJson?: string;
  /** Missing data inside the scanned range, oldest first. */
  readonly gaps: DataGap[];
  /** Where the next page's scan starts (epoch µs), or undefined when this page reached `to`. */
  readonly nextFromUs: number | undefined;
  /** The resolved range. */
  readonly fromUs: number;
  readonly toUs: number;
}

/**
 * Runs a candle query over the symbol's date partitions of silver/candles from `fromDate` to
 * `toDate` (inclusive, UTC): `sqlOf` gets the source (every revision of those partitions' rows,
 * what the view silver_candles_all_revisions holds) to select from. The API's own composed
 * queries, run without the user-SQL guard and its pruning rewrite (see queryPartitions).
 */
function candleQuery(session: LakeSession, req: Pick<OhlcRequest, 'symbol'>, fromDate: string, toDate: string, sqlOf: (source: string) => string) {
  const partitions: Record<string, string>[] = [];
  for (let d = Date.parse(`${fromDate}T00:00:00Z`), end = Date.parse(`${toDate}T00:00:00Z`); d <= end; d += 86_400_000) {
    partitions.push({ symbol: req.symbol, date: new Date(d).toISOString().slice(0, 10) });
  }
  return session.queryPartitions('silver/candles', partitions, sqlOf);
}
const DECIMALS = ['open', 'high', 'low', 'close', 'volume', 'quote_volume', 'taker_buy_volume', 'taker_buy_quote_volume'] as const;

/** The end (exclusive, µs) of the latest candle of a symbol (1m for rollups), or undefined when it has none. */
export async function latestCandleEnd(session: LakeSession, req: Pick<OhlcRequest, 'exchange' | 'symbol' | 'interval' | 'includeProvisional'>, latestDate: string): Promise<number | undefined> {
  // The latest date partition and the day before (a day's last window may end just after midnight).
  const prev = utcDate(Date.parse(`${latestDate}T00:00:00Z`) * 1000 - 86_400e6);
  const latestOf = async (interval: string) => {
    const { rows } = await candleQuery(session, req, prev, latestDate, (source) =>
      `SELECT max(epoch_us(window_end)) AS e FROM ${source} AS c WHERE exchange = ${sqlString(req.exchange)} AND symbol = ${sqlString(req.symbol)} AND "interval" = ${sqlString(interval)} AND date BETWEEN DATE '${prev}' AND DATE '${latestDate}'${req.includeProvisional ? '' : ' AND is_final'}`,
    );
    const e = rows[0]?.e;
    return e === null || e === undefined ? undefined : Number(e);
  };
  // Silver may hold only 1m candles for a range (a backfill from 1m klines): then the 1m end counts.
  return (SILVER_INTERVALS.includes(req.interval) && req.interval !== '1m' ? await latestOf(req.interval) : undefined) ?? latestOf('1m');
}

/**
 * Resolves the range and reads one page. With `json` (a JSON answer with nothing to add to the
 * candles), silver's candles come back as the answer's JSON array text, written by DuckDB in one
 * string: fetching 13 values a candle into JavaScript (decimals formatted there, strings over 12
 * bytes copied out one native call each) and building objects only to serialise them was most of
 * the route's CPU under load.
 */
export async function readOhlcPage(session: LakeSession, req: OhlcRequest, series: SeriesBounds, json = false): Promise<OhlcPage> {
  const latestEndUs = series.latestEndUs;
  const step = INTERVAL_US[req.interval];
  const toUs = req.toUs ?? latestEndUs ?? 0;
  const fromUs = req.fromUs ?? Math.floor(toUs / step) * step - req.limit * step;
  if (fromUs >= toUs) return { candles: [], gaps: [], nextFromUs: undefined, fromUs, toUs };
  const scanEnd = Math.min(toUs, fromUs + req.limit * step);
  const moreData = req.toUs !== undefined || (latestEndUs !== undefined && scanEnd < latestEndUs);
  const nextFromUs = scanEnd < toUs && moreData ? scanEnd : undefined;
  if (SILVER_INTERVALS.includes(req.interval)) {
    const own = json ? await silverCandlesJson(session, req, fromUs, scanEnd) : undefined;
    let rows = own ? undefined : await silverCandles(session, req, fromUs, scanEnd);
    if ((own ? own.count : rows!.length) > 0 || req.interval === '1m') {
      const lo = Math.ceil(fromUs / step) * step;
      const hi = Math.min(scanEnd, latestEndUs ?? lo);
      const start = await seriesStart(session, req, req.interval, series.firstDate, lo, hi);
      // Windows the interval's own series lacks (it starts inside the range, or has holes: the
      // stream began after a backfill that wrote 1m klines only, say) are rolled up from 1m, as
      // where silver has no candles of the interval at all; only minutes missing there are gaps.
      // (No series start known: nothing in the range counts as lacking, as nothing counts as a gap.)
      const ownFrom = start === undefined ? hi : Math.max(lo, start);
      const ownGaps = start === undefined ? [] : gapsBetween(own ? own.starts : rows!.map((r) => r.window_start), ownFrom, hi, step);
      const lacking = start === undefined || req.interval === '1m' ? [] : [...(ownFrom > lo ? [{ fromUs: lo, toUs: ownFrom }] : []), ...ownGaps];
      if (lacking.length > 0) {
        const inLacking = (us: number) => lacking.some((g) => us >= g.fromUs && us < g.toUs);
        const rolled = (await rolledUpCandles(session, req, lacking[0].fromUs, lacking[lacking.length - 1].toUs, latestEndUs, Number.MAX_SAFE_INTEGER)).filter((c) => inLacking(c.window_start));
        if (rolled.length > 0) {
          rows ??= await silverCandles(session, req, fromUs, scanEnd);
          // Minute gaps inside the lacking ranges only, and not before the 1m series starts (the listing).
          const start1m = await seriesStart(session, req, '1m', series.firstDate, lo, hi);
          const minuteGapsIn = start1m === undefined ? [] : await minuteGaps(session, req, Math.max(lo, start1m, lacking[0].fromUs), lacking[lacking.length - 1].toUs);
          const gaps = lacking.flatMap((l) => minuteGapsIn.filter((g) => g.toUs > l.fromUs && g.fromUs < l.toUs).map((g) => ({ fromUs: Math.max(g.fromUs, l.fromUs), toUs: Math.min(g.toUs, l.toUs) })));
          const candles = [...rolled, ...rows.filter((r) => r.is_final || req.includeProvisional)].sort((a, b) => a.window_start - b.window_start).slice(0, req.limit);
          return { candles, gaps, nextFromUs, fromUs, toUs };
        }
      }
      if (own) return { candles: [], candlesJson: own.json, gaps: ownGaps, nextFromUs, fromUs, toUs };
      // Every candle silver has counts as present, also a forming one the page leaves out.
      const candles = rows!.filter((r) => r.is_final || req.includeProvisional).slice(0, req.limit);
      return { candles, gaps: ownGaps, nextFromUs, fromUs, toUs };
    }
  }
  // 4h and 1d always, and silver's own intervals where silver holds only 1m candles: roll up from 1m.
  const candles = await rolledUpCandles(session, req, fromUs, scanEnd, latestEndUs);
  const lo = Math.ceil(fromUs / step) * step;
  const hi = Math.min(Math.ceil(scanEnd / step) * step, latestEndUs ?? lo);
  const start = await seriesStart(session, req, '1m', series.firstDate, lo, hi);
  const gaps = start === undefined ? [] : await minuteGaps(session, req, Math.max(lo, start), hi);
  return { candles: candles.slice(0, req.limit), gaps, nextFromUs, fromUs, toUs };
}

/**
 * Where the series of `interval` starts, as far as [lo, hi) cares: -Infinity when it started
 * before the day of `lo` (the catalog's first date says so, no query), else its first window
 * start up to `hi`, or undefined when it has none by then (nothing in the range is a gap).
 */
async function seriesStart(session: LakeSession, req: OhlcRequest, interval: string, firstDate: string | null, lo: number, hi: number): Promise<number | undefined> {
  if (firstDate === null || lo >= hi) return undefined;
  if (lo >= Date.parse(`${firstDate}T00:00:00Z`) * 1000 + 86_400e6) return -Infinity;
  const { rows } = await candleQuery(session, req, firstDate, utcDate(hi - 1), (source) =>
    `SELECT min(epoch_us(window_start)) AS s FROM ${source} AS c WHERE exchange = ${sqlString(req.exchange)} AND symbol = ${sqlString(req.symbol)} AND "interval" = ${sqlString(interval)} AND date BETWEEN DATE '${firstDate}' AND DATE '${utcDate(hi - 1)}' AND window_start < ${sqlTimestamp(hi)}`,
  );
  const first = rows[0]?.s;
  return first === null || first === undefined ? undefined : Number(first);
}

/** The ranges of [lo, hi) not covered by windows of `step` starting at `starts` (sorted). */
export function gapsBetween(starts: readonly number[], lo: number, hi: number, step: number): DataGap[] {
  const gaps: DataGap[] = [];
  let expected = lo;
  for (const s of starts) {
    if (s >= hi) break;
    if (s > expected) gaps.push({ fromUs: expected, toUs: s });
    expected = Math.max(expected, s + step);
  }
  if (expected < hi) gaps.push({ fromUs: expected, toUs: hi });
  return gaps;
}

/** The minutes of [lo, hi) without a 1m candle, as ranges (one query: the holes between present minutes). */
async function minuteGaps(session: LakeSession, req: OhlcRequest, lo: number, hi: number): Promise<DataGap[]> {
  if (lo >= hi) return [];
  const minute = INTERVAL_US['1m'];
  const { rows } = await candleQuery(session, req, utcDate(lo), utcDate(hi - 1), (source) =>
    `WITH m AS (SELECT DISTINCT epoch_us(window_start) AS s FROM ${source} AS c WHERE ${rangeFilter(req, '1m', lo, hi)}),
      g AS (SELECT s, lag(s) OVER (ORDER BY s) AS p FROM m)
    SELECT min(s) AS first, max(s) AS last, list([p + ${minute}, s] ORDER BY s) FILTER (WHERE s - p > ${minute}) AS inner FROM g`,
  );
  const r = rows[0];
  if (!r || r.first === null || r.first === undefined) return [{ fromUs: lo, toUs: hi }];
  const gaps: DataGap[] = [];
  if (Number(r.first) > lo) gaps.push({ fromUs: lo, toUs: Number(r.first) });
  for (const [from, to] of (r.inner as [unknown, unknown][] | null) ?? []) gaps.push({ fromUs: Number(from), toUs: Number(to) });
  if (Number(r.last) + minute < hi) gaps.push({ fromUs: Number(r.last) + minute, toUs: hi });
  return gaps;
}

/** Partition and window filters on the candle source for [fromUs, toUs). */
function rangeFilter(req: OhlcRequest, interval: string, fromUs: number, toUs: number): string {
  return [
    `exchange = ${sqlString(req.exchange)}`,
    `symbol = ${sqlString(req.symbol)}`,
    `"interval" = ${sqlString(interval)}`,
    `date BETWEEN DATE '${utcDate(fromUs)}' AND DATE '${utcDate(toUs - 1)}'`,
    `window_start >= ${sqlTimestamp(fromUs)}`,
    `window_start < ${sqlTimestamp(toUs)}`,
  ].join(' AND ');
}

const COLUMNS = `epoch_us(window_start) AS window_start, epoch_us(window_end) AS window_end, open, high, low, close, volume, quote_volume, vwap, trade_count, taker_buy_volume, taker_buy_quote_volume, is_final`;

async function silverCandles(session: LakeSession, req: OhlcRequest, fromUs: number, toUs: number): Promise<CandleRow[]> {
  // Final or not: a forming candle is left out of the page by the caller but is not a gap.
  const { rows } = await candleQuery(session, req, utcDate(fromUs), utcDate(toUs - 1), (source) =>
    `SELECT ${COLUMNS} FROM ${source} AS c WHERE ${rangeFilter(req, req.interval, fromUs, toUs)} QUALIFY row_number() OVER (PARTITION BY window_start ORDER BY revision DESC) = 1 ORDER BY window_start`,
  );
  return rows.map(candleOf);
}

/** Times as the answer writes them (isoOfMicros: ISO 8601, milliseconds, Z); make_timestamp is naive UTC whatever the session's zone. */
const isoSql = (column: string) => `strftime(make_timestamp(epoch_us(${column})), '%Y-%m-%dT%H:%M:%S.%gZ')`;

/**
 * silverCandles as the JSON array of the answer's candles (the route's apiCandle, field for field:
 * ISO times, decimals as exact strings, `provisional`), the forming candle left out unless asked
 * for, plus every window start silver has in the range (for the gaps: a forming candle is not one).
 */
async function silverCandlesJson(session: LakeSession, req: OhlcRequest, fromUs: number, toUs: number): Promise<{ json: string; starts: number[]; count: number }> {
  const fields = [
    `'window_start', ${isoSql('window_start')}`,
    `'window_end', ${isoSql('window_end')}`,
    ...['open', 'high', 'low', 'close', 'volume', 'quote_volume', 'vwap'].map((c) => `'${c}', ${c}::VARCHAR`),
    `'trade_count', trade_count`,
    `'taker_buy_volume', taker_buy_volume::VARCHAR`,
    `'taker_buy_quote_volume', taker_buy_quote_volume::VARCHAR`,
    `'is_final', is_final`,
    `'provisional', NOT is_final`,
  ].join(', ');
  const { rows } = await candleQuery(session, req, utcDate(fromUs), utcDate(toUs - 1), (source) =>
    `WITH c AS (SELECT * FROM ${source} AS c WHERE ${rangeFilter(req, req.interval, fromUs, toUs)} QUALIFY row_number() OVER (PARTITION BY window_start ORDER BY revision DESC) = 1)
    SELECT count(*) AS n, array_to_string(list(epoch_us(window_start) ORDER BY window_start), ',') AS starts,
      string_agg(json_object(${fields})::VARCHAR, ',' ORDER BY window_start) FILTER (WHERE is_final OR ${req.includeProvisional ? 'true' : 'false'}) AS candles
    FROM c`,
  );
  const r = rows[0];
  const count = Number(r?.n ?? 0);
  const starts = count > 0 ? String(r.starts).split(',').map(Number) : [];
  return { json: `[${typeof r?.candles === 'string' ? r.candles : ''}]`, starts, count };
}

async function rolledUpCandles(session: LakeSession, req: OhlcRequest, fromUs: number, toUs: number, latestEndUs: number | undefined, limit = req.limit): Promise<CandleRow[]> {
  const step = INTERVAL_US[req.interval];
  // Whole windows only: a window starting in [from, to) covers minutes up to its own end.
  const firstWindow = Math.ceil(fromUs / step) * step;
  if (firstWindow >= toUs) return [];
  const lastEnd = Math.ceil(toUs / step) * step;
  const minutes = (source: string) => `SELECT window_start, open, high, low, close, volume, quote_volume, trade_count, taker_buy_volume, taker_buy_quote_volume, first_trade_id, last_trade_id, is_final
    FROM ${source} AS c WHERE ${rangeFilter(req, '1m', firstWindow, lastEnd)} QUALIFY row_number() OVER (PARTITION BY window_start ORDER BY revision DESC) = 1`;
  const traded = 'FILTER (WHERE trade_count > 0)';
  const sql = (source: string) => `SELECT (epoch_us(window_start) // ${step}) * ${step} AS window_start,
      COALESCE(arg_min(open, window_start) ${traded}, arg_min(open, window_start)) AS open,
      COALESCE(max(high) ${traded}, max(high)) AS high,
      COALESCE(min(low) ${traded}, min(low)) AS low,
      COALESCE(arg_max(close, window_start) ${traded}, arg_max(close, window_start)) AS close,
      sum(volume) AS volume, sum(quote_volume) AS quote_volume, sum(trade_count) AS trade_count,
      sum(taker_buy_volume) AS taker_buy_volume, sum(taker_buy_quote_volume) AS taker_buy_quote_volume,
      bool_and(is_final) AS all_final
    FROM (${minutes(source)}) AS m GROUP BY 1 ORDER BY 1 LIMIT ${limit}`;
  const { rows } = await candleQuery(session, req, utcDate(firstWindow), utcDate(lastEnd - 1), sql);
  const out: CandleRow[] = [];
  for (const r of rows) {
    const start = Number(r.window_start);
    const end = start + step;
    // Final once every minute in it is final and the symbol's final candles reach its end.
    const isFinal = r.all_final === true && latestEndUs !== undefined && end <= latestEndUs;
    if (!isFinal && !req.includeProvisional) continue;
    const c = candleOf({ ...r, window_end: end, is_final: isFinal, vwap: null });
    c.vwap = vwapOf(c.quote_volume, c.volume);
    out.push(c);
  }
  return out;
}

function candleOf(r: Record<string, unknown>): CandleRow {
  const c = {
    window_start: Number(r.window_start),
    window_end: Number(r.window_end),
    vwap: r.vwap === null || r.vwap === undefined ? null : String(r.vwap),
    trade_count: Number(r.trade_count),
    is_final: r.is_final === true,
  } as CandleRow;
  for (const k of DECIMALS) c[k] = String(r[k]);
  return c;
}

/** quote_volume / volume rounded half-up to 16 places, exactly (silver's vwap rule); null for no volume. */
export function vwapOf(quoteVolume: string, volume: string): string | null {
  const v = toScaled(volume, scaleOf(volume));
  if (v === 0n) return null;
  const q = toScaled(quoteVolume, scaleOf(quoteVolume));
  // (q / 10^qs) / (v / 10^vs) scaled by 10^16 = q * 10^(16 + vs - qs) / v
  const shift = 16 + scaleOf(volume) - scaleOf(quoteVolume);
  let n = q;
  let d = v;
  if (shift >= 0) n *= 10n ** BigInt(shift);
  else d *= 10n ** BigInt(-shift);
  const quotient = n / d;
  const rounded = (n - quotient * d) * 2n >= d ? quotient + 1n : quotient;
  return fromScaled(rounded, 16);
}

function scaleOf(s: string): number {
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.length - i - 1;
}
