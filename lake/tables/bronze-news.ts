/** `bronze/news`: RSS/Atom items with headline sentiment, partitioned by UTC publication date. */
import type { NewsEvent } from '../../common/events/index.ts';
import type { TableDefinition } from './table-definition.ts';
import type { LakeRow } from '../writer.ts';

export const BRONZE_NEWS: TableDefinition = {
  name: 'bronze/news',
  description: 'News items from RSS feeds, scored and tagged with the symbols they mention, append-only.',
  columns: [
    { name: 'feed', type: 'string', nullable: false },
    { name: 'guid', type: 'string', nullable: false },
    { name: 'link', type: 'string' },
    { name: 'title', type: 'string', nullable: false },
    { name: 'summary', type: 'string' },
    { name: 'published_at', type: 'timestamp', nullable: false },
    { name: 'received_at', type: 'timestamp', nullable: false },
    { name: 'sentiment_score', type: 'double', nullable: false },
    { name: 'sentiment_comparative', type: 'double', nullable: false },
    { name: 'symbols', type: 'string', nullable: false, comment: "comma-separated upper-case symbols, e.g. 'BTC,ETH' ('' for none)" },
    { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(published_at)) AS DATE)` },
  ],
  partitionColumns: ['date'],
};

export function newsEventToRow(e: NewsEvent): LakeRow {
  return {
    feed: e.feed,
    guid: e.guid,
    link: e.link ?? null,
    title: e.title,
    summary: e.summary ?? null,
    published_at: e.publishedAtUs,
    received_at: e.receivedAtUs,
    sentiment_score: e.sentimentScore,
    sentiment_comparative: e.sentimentComparative,
    symbols: e.symbols.join(','),
  };
}
