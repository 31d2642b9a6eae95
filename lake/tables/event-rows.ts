/**
 * How each kind of event becomes a bronze row, by name: a JsonEvents batch (lake/json-events.ts)
 * names its kind instead of carrying a function, because functions do not cross threads.
 */
import type { LakeRow } from '../writer.ts';
import { newsEventToRow } from './bronze-news.ts';
import { sentimentEventToRow } from './bronze-sentiment.ts';
import { tickerEventToRow } from './bronze-tickers.ts';
import { tradeEventToRow } from './bronze-trades.ts';

export const EVENT_TO_ROW = {
  trade: tradeEventToRow,
  ticker: tickerEventToRow,
  sentiment: sentimentEventToRow,
  news: newsEventToRow,
} as const satisfies Record<string, (e: never) => LakeRow>;

export type JsonEventKind = keyof typeof EVENT_TO_ROW;

/** The row mapping of an event kind (events given as parsed JSON). */
export function eventToRow(kind: JsonEventKind): (event: unknown) => LakeRow {
  return EVENT_TO_ROW[kind] as (event: unknown) => LakeRow;
}
