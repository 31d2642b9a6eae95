/** `gold/transform_runs`: one row per model per run (what it computed, how long, how it ended). */
import type { TableDefinition } from '../lake/index.ts';

export const TRANSFORM_RUNS: TableDefinition = {
  name: 'gold/transform_runs',
  description: 'The ledger of gold builds: one row per model and run.',
  columns: [
    { name: 'run_id', type: 'string', nullable: false },
    { name: 'model', type: 'string', nullable: false },
    { name: 'status', type: 'string', nullable: false, comment: 'success | skipped (inputs unchanged) | failed' },
    { name: 'full_refresh', type: 'boolean', nullable: false },
    { name: 'partitions', type: 'long', nullable: false, comment: 'output partitions computed (0 for a full build of an unpartitioned table: see partition_list)' },
    { name: 'partition_list', type: 'string', comment: "the partitions computed, JSON ('all' for a full build); long lists are cut" },
    { name: 'rows', type: 'long', nullable: false, comment: 'rows written' },
    { name: 'duration_ms', type: 'long', nullable: false },
    { name: 'started_at', type: 'timestamp', nullable: false },
    { name: 'error', type: 'string' },
    { name: 'input_versions', type: 'string', comment: 'JSON: input table → the version this run read' },
    { name: 'output_version', type: 'long', comment: 'the version of the output table this run committed' },
    { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(started_at)) AS DATE)` },
  ],
  partitionColumns: ['date'],
};
