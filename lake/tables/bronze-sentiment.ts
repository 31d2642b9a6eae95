/** `bronze/sentiment`: market-wide sentiment readings (Fear & Greed); small, so unpartitioned. */
import type { SentimentEvent } from '../../common/events/index.ts';
import type { TableDefinition } from './table-definition.ts';
import type { LakeRow } from '../writer.ts';

export const BRONZE_SENTIMENT: TableDefinition = {
  name: 'bronze/sentiment',
  description: 'Sentiment index readings, e.g. the Fear & Greed index, append-only.',
  columns: [
    { name: 'source', type: 'string', nullable: false },
    { name: 'indicator', type: 'string', nullable: false },
    { name: 'value', type: 'integer', nullable: false, comment: '0 (extreme fear) .. 100 (extreme greed)' },
    { name: 'classification', type: 'string', nullable: false },
    { name: 'as_of', type: 'timestamp', nullable: false },
    { name: 'received_at', type: 'timestamp', nullable: false },
  ],
  partitionColumns: [],
};

export function sentimentEventToRow(e: SentimentEvent): LakeRow {
  return {
    source: e.source,
    indicator: e.indicator,
    value: e.value,
    classification: e.classification,
    as_of: e.asOfUs,
    received_at: e.receivedAtUs,
  };
}
