/**
 * Delta checkpoints: the whole table state at one version in one Parquet file
 * (`<version>.checkpoint.parquet`) plus `_delta_log/_last_checkpoint`, so that opening a table
 * reads one file and the few commits after it instead of replaying the whole log.
 * The file follows the protocol's checkpoint schema (struct columns txn, add, remove, metaData,
 * protocol; one action per row) so that delta-rs, Spark and others read it too.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Action } from './actions.ts';
import type { LogStore } from './log-store.ts';
import type { Snapshot } from './snapshot.ts';
import { sqlLiteral } from '../sql.ts';
import { queryJson, withLakeConnection } from '../duckdb.ts';

const STRING_MAP = 'MAP(VARCHAR, VARCHAR)';
const CHECKPOINT_COLUMNS: Record<string, string> = {
  txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
  add: `STRUCT(path VARCHAR, partitionValues ${STRING_MAP}, size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags ${STRING_MAP})`,
  remove: `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues ${STRING_MAP}, size BIGINT)`,
  metaData: `STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options ${STRING_MAP}), schemaString VARCHAR, partitionColumns VARCHAR[], configuration ${STRING_MAP}, createdTime BIGINT)`,
  protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)',
};

/** How long removed files stay in checkpoints as tombstones (Delta's default: 1 week). */
export const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;

export async function writeCheckpoint(store: LogStore, snapshot: Snapshot, now = Date.now()): Promise<void> {
  const retention = parseIntervalMs(snapshot.configuration('delta.deletedFileRetentionDuration')) ?? DEFAULT_TOMBSTONE_RETENTION_MS;
  const lines: string[] = [JSON.stringify({ protocol: snapshot.protocol }), JSON.stringify({ metaData: normaliseMetadata(snapshot) })];
  for (const t of snapshot.txns.values()) lines.push(JSON.stringify({ txn: t }));
  for (const a of snapshot.files.values()) lines.push(JSON.stringify({ add: { ...a, tags: a.tags ?? null, stats: a.stats ?? null } }));
  for (const r of snapshot.tombstones.values()) {
    if ((r.deletionTimestamp ?? 0) < now - retention) continue;
    lines.push(JSON.stringify({ remove: { ...r, extendedFileMetadata: r.extendedFileMetadata ?? false } }));
  }
  const id = randomUUID();
  const ndjson = path.join(store.logDir, `.tmp-${id}.ndjson`);
  const tmpParquet = path.join(store.logDir, `.tmp-${id}.parquet`);
  await fs.writeFile(ndjson, lines.join('\n') + '\n');
  try {
    const columns = Object.entries(CHECKPOINT_COLUMNS)
      .map(([k, v]) => `${sqlLiteral(k)}: ${sqlLiteral(v)}`)
      .join(', ');
    await withLakeConnection((conn) =>
      conn.run(
        `COPY (SELECT txn, add, remove, metaData, protocol FROM read_json(${sqlLiteral(ndjson)}, format = 'newline_delimited', columns = {${columns}}, maximum_object_size = 1073741824))
         TO ${sqlLiteral(tmpParquet)} (FORMAT parquet, COMPRESSION snappy)`,
      ),
    );
    const { size } = await fs.stat(tmpParquet);
    await fs.rename(tmpParquet, store.checkpointPath(snapshot.version));
    await store.writeLastCheckpoint({ version: snapshot.version, size: lines.length, sizeInBytes: size, numOfAddFiles: snapshot.files.size });
  } finally {
    await fs.rm(ndjson, { force: true });
    await fs.rm(tmpParquet, { force: true });
  }
}

/** Reads the actions of a checkpoint (ours or another engine's). */
export async function readCheckpoint(file: string): Promise<Action[]> {
  const rows = await withLakeConnection((conn) => queryJson(conn, `SELECT to_json(cp) AS j FROM read_parquet(${sqlLiteral(file)}) cp`));
  const actions: Action[] = [];
  for (const row of rows) {
    const obj = JSON.parse(row.j as string) as Record<string, Record<string, unknown> | null>;
    for (const kind of ['protocol', 'metaData', 'txn', 'add', 'remove'] as const) {
      const value = obj[kind];
      if (value && value.path !== null && !(kind === 'txn' && value.appId === null)) {
        if ((kind === 'add' || kind === 'remove') && value.path === undefined) continue;
        actions.push({ [kind]: value } as unknown as Action);
      }
    }
  }
  return actions;
}

function normaliseMetadata(snapshot: Snapshot): Record<string, unknown> {
  const m = snapshot.metadata;
  return {
    id: m.id,
    name: m.name ?? null,
    description: m.description ?? null,
    format: { provider: m.format?.provider ?? 'parquet', options: m.format?.options ?? {} },
    schemaString: m.schemaString,
    partitionColumns: m.partitionColumns,
    configuration: m.configuration ?? {},
    createdTime: m.createdTime ?? null,
  };
}

/** Parses Delta interval strings such as `interval 7 days` or `interval 1 hour` into ms. */
export function parseIntervalMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^\s*interval\s+(\d+)\s+(millisecond|second|minute|hour|day|week)s?\s*$/i.exec(value);
  if (!m) return undefined;
  const unit: Record<string, number> = { millisecond: 1, second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 };
  return Number(m[1]) * unit[m[2].toLowerCase()];
}
