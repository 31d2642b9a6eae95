/**
 * The `maintenance` workflow (queue `marketlake`): `daily` (schedule `maintenance-daily`) compacts,
 * checkpoints, applies data retention and vacuums every lake table; `hourly` (schedule
 * `maintenance-hourly`) compacts only the partitions written in the last hours, where the stream's
 * many small files are. Tables are done one after another (each is its own atomic commits); the
 * result lists what was done per table.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities, MaintenanceScope, TableMaintenanceResult } from './activities.ts';

export interface MaintenanceInput {
  readonly scope?: MaintenanceScope;
  /** Only these tables (default: every table of the lake). */
  readonly tables?: readonly string[];
  readonly vacuumRetentionHours?: number;
  readonly recentHours?: number;
}

export interface MaintenanceResult {
  readonly scope: MaintenanceScope;
  readonly tables: readonly TableMaintenanceResult[];
  readonly failed: readonly { table: string; reason: string }[];
}

const { listLakeTables, maintainTable } = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '1 hour',
  retry: { maximumAttempts: 3, initialInterval: '5 seconds' },
});

export async function maintenance(input: MaintenanceInput = {}): Promise<MaintenanceResult> {
  const scope = input?.scope ?? 'daily';
  const tables = input?.tables?.length ? [...input.tables] : await listLakeTables();
  const results: TableMaintenanceResult[] = [];
  const failed: { table: string; reason: string }[] = [];
  for (const table of tables) {
    try {
      results.push(await maintainTable({ table, scope, vacuumRetentionHours: input?.vacuumRetentionHours, recentHours: input?.recentHours }));
    } catch (err) {
      // One table's trouble does not keep the others from being maintained.
      failed.push({ table, reason: (err as Error).message });
    }
  }
  return { scope, tables: results, failed };
}
