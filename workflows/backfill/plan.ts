/**
 * The backfill plan: symbol×day partitions, grouped into work items (one archive file, or one
 * day of REST klines) that one activity writes in one lake commit. Pure: shared by the workflow
 * bundle, the planning activity and `--local`.
 *
 * File choice follows data.binance.vision: 1m klines come as monthly files for whole past months
 * and daily files for the days of the current month; trades and aggTrades as daily files (a
 * month of BTCUSDT trades is tens of GB, a day keeps a work item small). `auto` tries the
 * archive and falls back to REST where it is not published yet; `rest` asks the REST API only.
 */
import { daysBetween, type BackfillSource, type NormalisedInput } from './input.ts';

export type ItemSource = 'klines' | 'trades' | 'aggTrades' | 'rest';

export interface ArchiveRef {
  readonly url: string;
  readonly period: 'daily' | 'monthly';
  /** `YYYY-MM` or `YYYY-MM-DD`. */
  readonly date: string;
}

export interface WorkItem {
  /** Unique within a plan, e.g. `BTCUSDT:klines:2024-01`. */
  readonly id: string;
  readonly symbol: string;
  readonly source: ItemSource;
  /** Archive first, REST for the days the archive does not have (source `auto`). */
  readonly restFallback: boolean;
  /** The partitions (UTC days) this item writes. */
  readonly days: readonly string[];
  readonly archive?: ArchiveRef;
  /** Silver rows expected (1m + 5m + 15m + 1h of whole days). */
  readonly rowsExpected: number;
}

export interface PartitionState {
  readonly symbol: string;
  readonly day: string;
  /** 1m candles silver has for the day. */
  readonly candles1m: number;
}

export interface BackfillPlan {
  readonly summary: string;
  readonly partitionsTotal: number;
  readonly items: readonly WorkItem[];
  /** Partitions left alone (mode `missing`: complete already). */
  readonly skipped: readonly PartitionState[];
  /** Partitions to write that already hold some candles. */
  readonly existing: readonly PartitionState[];
  readonly rowsExpected: number;
  /** Work items per workflow run before it continues as new (the worker's BACKFILL_ITEMS_PER_RUN). */
  readonly itemsPerRun?: number;
}

/** 1m + 5m + 15m + 1h candles of one whole day. */
export const SILVER_ROWS_PER_DAY = 1440 + 288 + 96 + 24;
export const MINUTES_PER_DAY = 1440;

const KLINE_PATH = (period: string, symbol: string, date: string) => `data/spot/${period}/klines/${symbol}/1m/${symbol}-1m-${date}.zip`;
const TRADES_PATH = (kind: string, symbol: string, date: string) => `data/spot/daily/${kind}/${symbol}/${symbol}-${kind}-${date}.zip`;

function lastDayOfMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/**
 * Work items for the partitions to write (`days` per symbol), given the archive base URL and
 * today's date (monthly files exist only for months that ended before today).
 */
export function planItems(input: Pick<NormalisedInput, 'source'>, daysBySymbol: ReadonlyMap<string, readonly string[]>, archiveBaseUrl: string, today: string): WorkItem[] {
  const base = archiveBaseUrl.replace(/\/+$/, '');
  const items: WorkItem[] = [];
  const source: BackfillSource = input.source;
  for (const [symbol, days] of daysBySymbol) {
    if (days.length === 0) continue;
    if (source === 'rest') {
      for (const day of days) items.push({ id: `${symbol}:rest:${day}`, symbol, source: 'rest', restFallback: false, days: [day], rowsExpected: SILVER_ROWS_PER_DAY });
      continue;
    }
    if (source === 'trades' || source === 'aggTrades') {
      for (const day of days) {
        items.push({ id: `${symbol}:${source}:${day}`, symbol, source, restFallback: false, days: [day], archive: { url: `${base}/${TRADES_PATH(source, symbol, day)}`, period: 'daily', date: day }, rowsExpected: SILVER_ROWS_PER_DAY });
      }
      continue;
    }
    // klines (and auto): monthly files for months that ended before today, daily files otherwise.
    const byMonth = new Map<string, string[]>();
    for (const day of days) {
      const month = day.slice(0, 7);
      const list = byMonth.get(month) ?? [];
      list.push(day);
      byMonth.set(month, list);
    }
    for (const [month, monthDays] of byMonth) {
      const restFallback = source === 'auto';
      if (lastDayOfMonth(month) < today) {
        items.push({ id: `${symbol}:klines:${month}`, symbol, source: 'klines', restFallback, days: monthDays, archive: { url: `${base}/${KLINE_PATH('monthly', symbol, month)}`, period: 'monthly', date: month }, rowsExpected: monthDays.length * SILVER_ROWS_PER_DAY });
      } else {
        for (const day of monthDays) {
          items.push({ id: `${symbol}:klines:${day}`, symbol, source: 'klines', restFallback, days: [day], archive: { url: `${base}/${KLINE_PATH('daily', symbol, day)}`, period: 'daily', date: day }, rowsExpected: SILVER_ROWS_PER_DAY });
        }
      }
    }
  }
  return items;
}

/** Every (symbol, day) of the input. */
export function allPartitions(input: Pick<NormalisedInput, 'symbols' | 'fromDay' | 'toDay'>): { symbol: string; day: string }[] {
  const days = daysBetween(input.fromDay, input.toDay);
  return input.symbols.flatMap((symbol) => days.map((day) => ({ symbol, day })));
}

export function partitionKey(p: { symbol: string; day: string }): string {
  return `${p.symbol}:${p.day}`;
}
