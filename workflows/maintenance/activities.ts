/**
 * Lake maintenance, one table at a time: compact small files (optimize: same rows, dataChange =
 * false, so readers and the stream's appends are not disturbed), write a checkpoint, vacuum files
 * removed longer ago than the retention (readers of older snapshots keep theirs until then), and
 * drop partitions older than a table's data retention (MAINTENANCE_DATA_RETENTION, off by default).
 * Every step is one atomic commit: a reader sees a table before or after it, never between.
 */
import type { RemoveAction } from '../../lake/index.ts';
import { optimize, tableStats, vacuum } from '../../lake/index.ts';
import { lakeTableMetrics, recordLakeTable } from '../../common/metrics-catalog.ts';
import type { ActivityDeps } from '../activity-deps.ts';
import { parseDataRetention } from '../config.ts';
import { partitionsKeptByDay } from '../../transforms/index.ts';

export type MaintenanceScope = 'daily' | 'hourly';

export interface MaintainTableRequest {
  readonly table: string;
  readonly scope: MaintenanceScope;
  /** Overrides MAINTENANCE_VACUUM_RETENTION_HOURS. */
  readonly vacuumRetentionHours?: number;
  /** Hourly: partitions with a file written in the last N hours (overrides MAINTENANCE_RECENT_HOURS). */
  readonly recentHours?: number;
}

export interface TableMaintenanceResult {
  readonly table: string;
  readonly versionBefore: number;
  readonly versionAfter: number;
  readonly compaction: { partitionsCompacted: number; filesRemoved: number; filesAdded: number; rows: number };
  readonly checkpoint?: number;
  readonly vacuum?: { filesDeleted: number; bytesDeleted: number; retentionHours: number };
  readonly retention?: { olderThan: string; partitionsDropped: number; filesRemoved: number };
}

export function createMaintenanceActivities(deps: ActivityDeps) {
  return {
    /** Also refreshes every table's gauges (version, files, bytes, small files) for the Lake board. */
    async listLakeTables(): Promise<string[]> {
      const tables = await deps.lake.listTables();
      const metrics = lakeTableMetrics(deps.registry);
      for (const name of tables) recordLakeTable(metrics, name, tableStats(await (await deps.lake.table(name)).refresh()));
      return tables;
    },

    async maintainTable(req: MaintainTableRequest): Promise<TableMaintenanceResult> {
      const table = await deps.lake.table(req.table);
      const before = await table.refresh();
      let partitions: Record<string, string>[] | undefined;
      if (req.scope === 'hourly') {
        const since = Date.now() - (req.recentHours ?? deps.config.MAINTENANCE_RECENT_HOURS) * 3_600_000;
        const seen = new Map<string, Record<string, string>>();
        for (const f of before.addFiles()) {
          if (f.modificationTime < since || before.partitionColumns.length === 0) continue;
          const p = Object.fromEntries(before.partitionColumns.map((c) => [c, f.partitionValues[c] ?? ''])) as Record<string, string>;
          seen.set(JSON.stringify(p), p);
        }
        partitions = [...seen.values()];
      }
      // (A month-stored gold table's newest month stays a file a day: its hourly builds replace them.)
      const except = partitionsKeptByDay(before.partitionColumns, before.addFiles());
      const compacted = partitions && partitions.length === 0 ? { partitionsCompacted: 0, filesRemoved: 0, filesAdded: 0, rows: 0 } : await optimize(table, { ...(partitions ? { partitions } : {}), except });
      const result: { -readonly [K in keyof TableMaintenanceResult]: TableMaintenanceResult[K] } = {
        table: req.table,
        versionBefore: before.version,
        versionAfter: before.version,
        compaction: { partitionsCompacted: compacted.partitionsCompacted, filesRemoved: compacted.filesRemoved, filesAdded: compacted.filesAdded, rows: compacted.rows },
      };
      if (req.scope === 'daily') {
        const days = parseDataRetention(deps.config.MAINTENANCE_DATA_RETENTION).get(req.table);
        if (days !== undefined && before.partitionColumns.includes('date')) result.retention = await dropOldPartitions(table, days);
        await table.checkpoint();
        result.checkpoint = (await table.refresh()).version;
        const retentionHours = req.vacuumRetentionHours ?? deps.config.MAINTENANCE_VACUUM_RETENTION_HOURS;
        const v = await vacuum(table, { retentionHours });
        result.vacuum = { filesDeleted: v.deleted.length, bytesDeleted: v.bytes, retentionHours };
      }
      const after = await table.refresh();
      result.versionAfter = after.version;
      const metrics = lakeTableMetrics(deps.registry);
      const now = Date.now() / 1000;
      metrics.lastMaintenance.set({ table: req.table, operation: 'optimize' }, now);
      if (result.checkpoint !== undefined) metrics.lastMaintenance.set({ table: req.table, operation: 'checkpoint' }, now);
      if (result.vacuum) metrics.lastMaintenance.set({ table: req.table, operation: 'vacuum' }, now);
      recordLakeTable(metrics, req.table, tableStats(after));
      deps.logger.info({ maintenance: result }, `maintained ${req.table}`);
      return result;
    },
  };
}

/** Removes, in one commit, every file of a partition whose `date` is older than `days` days. */
async function dropOldPartitions(table: import('../../lake/index.ts').DeltaTable, days: number) {
  const read = await table.refresh();
  const olderThan = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
  const old = read.addFiles().filter((f) => (f.partitionValues.date ?? '9999') < olderThan);
  if (old.length === 0) return { olderThan, partitionsDropped: 0, filesRemoved: 0 };
  const now = Date.now();
  const removes: RemoveAction[] = old.map((f) => ({ path: f.path, deletionTimestamp: now, dataChange: true, extendedFileMetadata: true, partitionValues: f.partitionValues, size: f.size }));
  await table.commit({
    actions: removes.map((remove) => ({ remove })),
    operation: 'DELETE',
    parameters: { predicate: JSON.stringify(`date < '${olderThan}'`), reason: 'data retention' },
    readSnapshot: read,
    scope: { removes: new Set(removes.map((r) => r.path)), txnAppIds: new Set(), changesMetadata: false, partitionColumns: read.partitionColumns },
  });
  return { olderThan, partitionsDropped: new Set(old.map((f) => JSON.stringify(f.partitionValues))).size, filesRemoved: old.length };
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
