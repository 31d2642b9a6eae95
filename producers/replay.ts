/**
 * Replays a Binance trades or aggTrades archive into a sink: with the original pacing scaled by
 * `speed` (2 = twice as fast), or as fast as the sink accepts with `speed: 'max'`. Rows that do
 * not parse are dead-lettered with their line; everything else is published under
 * `binance:<SYMBOL>` in file order (id order), so one symbol stays in order in its partition.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { deadLetter, tradeKey } from '../common/events/index.ts';
import { TOPICS } from '../common/topics.ts';
import type { EventSink } from './event-sink.ts';
import type { ArchiveKind } from './binance/archive-layout.ts';
import { readArchiveTrades } from './binance/archive-reader.ts';

export { tradesArchiveLayout } from './binance/archive-reader.ts';
import type { ChecksumOutcome, ChecksumPolicy } from './binance/archive-source.ts';

export type ReplaySpeed = number | 'max';

export interface ReplayOptions {
  readonly symbol?: string;
  readonly kind?: Extract<ArchiveKind, 'trades' | 'aggTrades'>;
  readonly speed: ReplaySpeed;
  readonly signal?: AbortSignal;
  readonly checksum?: ChecksumPolicy;
  readonly onProgress?: (published: number) => void;
  readonly onOpen?: (info: { checksum: ChecksumOutcome; entryName: string }) => void;
}

export interface ReplayResult {
  readonly published: number;
  readonly invalidRows: number;
  readonly aborted: boolean;
  readonly firstTradeId?: number;
  readonly lastTradeId?: number;
}

/** Parses `--speed`: a positive number or `max`. */
export function parseReplaySpeed(value: string): ReplaySpeed {
  if (value === 'max') return 'max';
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--speed must be a positive number or "max", not ${JSON.stringify(value)}`);
  return n;
}

/** Rows of a local csv (for a progress bar's total); undefined for zips and URLs. */
export async function countCsvRows(location: string): Promise<number | undefined> {
  if (!location.toLowerCase().endsWith('.csv') || !fs.existsSync(location)) return undefined;
  let rows = 0;
  let last = 10;
  for await (const chunk of fs.createReadStream(location) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) rows += 1;
    last = chunk[chunk.length - 1];
  }
  return last === 10 ? rows : rows + 1;
}

/** Waits `ms`, or less when `signal` aborts (a paced replay can wait hours between trades). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function replayArchive(location: string, sink: EventSink, opts: ReplayOptions): Promise<ReplayResult> {
  let published = 0;
  let invalidRows = 0;
  let firstTradeId: number | undefined;
  let lastTradeId: number | undefined;
  let firstTradeTimeUs: number | undefined;
  const wallStart = performance.now();
  const events = readArchiveTrades(location, {
    symbol: opts.symbol,
    kind: opts.kind,
    checksum: opts.checksum,
    onOpen: opts.onOpen,
    onInvalidRow: async (row) => {
      invalidRows += 1;
      await sink.deadLetter(deadLetter({ stage: 'replay', reason: row.reason, raw: row.raw, origin: `${row.location}:${row.line}` }));
    },
  });
  for await (const trade of events) {
    if (opts.signal?.aborted) return { published, invalidRows, aborted: true, firstTradeId, lastTradeId };
    if (opts.speed !== 'max') {
      firstTradeTimeUs ??= trade.tradeTimeUs;
      const dueMs = (trade.tradeTimeUs - firstTradeTimeUs) / 1000 / opts.speed;
      const waitMs = dueMs - (performance.now() - wallStart);
      if (waitMs > 1) await sleep(waitMs, opts.signal);
      if (opts.signal?.aborted) return { published, invalidRows, aborted: true, firstTradeId, lastTradeId };
    }
    await sink.publish(TOPICS.trades, tradeKey(trade), trade, location);
    firstTradeId ??= trade.tradeId;
    lastTradeId = trade.tradeId;
    published += 1;
    opts.onProgress?.(published);
  }
  return { published, invalidRows, aborted: false, firstTradeId, lastTradeId };
}
