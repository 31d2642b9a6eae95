/**
 * The `maintenance` workflow on the real Temporal dev server: the hourly compaction (schedule
 * `maintenance-hourly`) compacts only the partitions written in its window and does nothing
 * else (no checkpoint, vacuum or retention); the daily run applies the per-table data retention
 * (MAINTENANCE_DATA_RETENTION, here bronze/trades=30): partitions older than 30 days are dropped
 * in one commit, newer ones and tables without a retention are left alone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeQueryEngine } from '../../lake/index.ts';
import { workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import { ensureSchedules } from '../schedules.ts';
import type { MaintenanceResult } from './workflow.ts';

let fx: WorkflowsFixture;

const OLD_DAY = '2024-01-01';
const TODAY = new Date().toISOString().slice(0, 10);

/** `n` small files (one append each) of 2 trades in BTCUSDT's partition of `day`. */
async function appendTrades(day: string, n: number, firstId: number): Promise<void> {
  const trades = await fx.lake.table('bronze/trades');
  const t0 = Date.parse(`${day}T00:00:00Z`) * 1000;
  for (let i = 0; i < n; i++) {
    await trades.append(
      [0, 1].map((j) => ({ exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', trade_id: firstId + i * 2 + j, price: '42000.10000000', qty: '0.00100000', quote_qty: '42.0001', is_buyer_maker: j === 0, trade_time: t0 + (i * 2 + j) * 1000, received_at: t0, source: 'archive' })),
    );
  }
}

async function filesPerDay(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const f of (await (await fx.lake.table('bronze/trades')).refresh()).addFiles()) out[f.partitionValues.date!] = (out[f.partitionValues.date!] ?? 0) + 1;
  return out;
}

async function tradesPerDay(): Promise<Record<string, number>> {
  const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
  try {
    const { rows } = await engine.query(`SELECT CAST(date AS VARCHAR) AS d, count(*) AS n FROM bronze_trades GROUP BY 1`);
    return Object.fromEntries(rows.map((r) => [String(r.d), Number(r.n)]));
  } finally {
    engine.connection.closeSync();
  }
}

async function runMaintenance(input: object): Promise<MaintenanceResult> {
  return (await fx.client.workflow.execute('maintenance', { taskQueue: 'marketlake', workflowId: `maintenance-${randomUUID().slice(0, 8)}`, args: [input as never] })) as MaintenanceResult;
}

beforeAll(async () => {
  fx = await workflowsFixture('maintenance', { env: { MAINTENANCE_DATA_RETENTION: 'bronze/trades=30' } });
}, 120_000);
afterAll(async () => fx?.cleanup());

describe('maintenance', () => {
  it('hourly compaction (schedule maintenance-hourly) compacts only the partitions written in its window, and nothing else', async () => {
    await appendTrades(OLD_DAY, 4, 0);
    const quietEnd = Date.now();
    await new Promise((r) => setTimeout(r, 6000));
    await appendTrades(TODAY, 5, 1000);
    const rowsBefore = await tradesPerDay();
    expect(await filesPerDay()).toEqual({ [OLD_DAY]: 4, [TODAY]: 5 });

    // A window that starts just after the quiet partition's last write: only today's files are in it.
    const recentHours = (Date.now() - quietEnd - 500) / 3_600_000;
    const windowed = await runMaintenance({ scope: 'hourly', tables: ['bronze/trades'], recentHours });
    expect(windowed.scope).toBe('hourly');
    expect(windowed.tables).toHaveLength(1);
    expect(windowed.tables[0].compaction).toMatchObject({ partitionsCompacted: 1, filesRemoved: 5, filesAdded: 1, rows: 10 });
    expect(await filesPerDay()).toEqual({ [OLD_DAY]: 4, [TODAY]: 1 });

    // The schedule as the worker ensures it (scope hourly, MAINTENANCE_RECENT_HOURS = 3): now the other partition too.
    await ensureSchedules(fx.client);
    const schedule = await fx.client.schedule.getHandle('maintenance-hourly').describe();
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'maintenance', taskQueue: 'marketlake', args: [{ scope: 'hourly' }] });
    await fx.client.schedule.getHandle('maintenance-hourly').trigger();
    let scheduled: MaintenanceResult | undefined;
    let summary: string | undefined;
    for (let i = 0; i < 120 && !scheduled; i++) {
      for await (const w of fx.client.workflow.list({ query: `WorkflowId STARTS_WITH 'maintenance-hourly'` })) {
        if (w.status.name !== 'COMPLETED') continue;
        const run = fx.client.workflow.getHandle(w.workflowId, w.runId);
        scheduled = (await run.result()) as MaintenanceResult;
        summary = await (await run.describe()).staticSummary();
      }
      if (!scheduled) await new Promise((r) => setTimeout(r, 500));
    }
    // The UI's list shows what the scheduled run is.
    expect(summary).toBe('maintenance-hourly: Compaction of the partitions written in the last hours (the stream writes many small files)');
    expect(scheduled?.scope).toBe('hourly');
    const bronze = scheduled!.tables.find((t) => t.table === 'bronze/trades')!;
    expect(bronze.compaction).toMatchObject({ partitionsCompacted: 1, filesRemoved: 4, filesAdded: 1, rows: 8 });
    // Hourly only compacts: no checkpoint, vacuum or retention (the old day is past the 30-day retention and stays).
    expect(bronze.checkpoint).toBeUndefined();
    expect(bronze.vacuum).toBeUndefined();
    expect(bronze.retention).toBeUndefined();
    expect(await filesPerDay()).toEqual({ [OLD_DAY]: 1, [TODAY]: 1 });
    expect(await tradesPerDay()).toEqual(rowsBefore);
  }, 120_000);

  it('a gold table stored a month a partition keeps its newest month a file a day (the hourly gold build replaces a day\'s file); settled months are compacted', async () => {
    const table = await fx.lake.createTable({
      name: 'gold/month_stored',
      columns: [
        { name: 'symbol', type: 'string', nullable: false },
        { name: 'date', type: 'date', nullable: false },
        { name: 'value', type: 'double' },
        { name: 'month', type: 'string', nullable: false, derivedFrom: `strftime("date", '%Y-%m')` },
      ],
      partitionColumns: ['symbol', 'month'],
    });
    for (const date of ['2024-01-30', '2024-01-31', '2024-02-01', '2024-02-02', '2024-02-03']) await table.append([{ symbol: 'BTCUSDT', date, value: 1 }]);
    const files = async () => {
      const out: Record<string, number> = {};
      for (const f of (await table.refresh()).addFiles()) out[f.partitionValues.month!] = (out[f.partitionValues.month!] ?? 0) + 1;
      return out;
    };
    expect(await files()).toEqual({ '2024-01': 2, '2024-02': 3 });
    const result = await runMaintenance({ scope: 'hourly', tables: ['gold/month_stored'], recentHours: 1 });
    expect(result.tables[0].compaction).toMatchObject({ partitionsCompacted: 1, filesRemoved: 2, filesAdded: 1, rows: 2 });
    expect(await files()).toEqual({ '2024-01': 1, '2024-02': 3 });
  }, 60_000);

  it('daily applies the data retention: partitions older than the table\'s retention are dropped, the rest and other tables kept', async () => {
    const silver = await fx.lake.table('silver/candles');
    await silver.append([
      { exchange: 'binance', symbol: 'BTCUSDT', interval: '1m', window_start: Date.parse(`${OLD_DAY}T00:00:00Z`) * 1000, window_end: Date.parse(`${OLD_DAY}T00:01:00Z`) * 1000, open: '1.00000000', high: '1.00000000', low: '1.00000000', close: '1.00000000', volume: '1.00000000', quote_volume: '1.0000000000000000', vwap: '1.0000000000000000', trade_count: 1, taker_buy_volume: '0.00000000', taker_buy_quote_volume: '0.0000000000000000', first_trade_id: 1, last_trade_id: 1, revision: 0, is_final: true, finalized_at: Date.parse(`${OLD_DAY}T00:01:00Z`) * 1000, source: 'klines' },
    ] as never);
    const silverVersion = (await silver.refresh()).version;
    const before = await tradesPerDay();
    expect(Object.keys(before).sort()).toEqual([OLD_DAY, TODAY]);

    const result = await runMaintenance({ scope: 'daily' });
    const bronze = result.tables.find((t) => t.table === 'bronze/trades')!;
    const cutoff = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    expect(bronze.retention).toEqual({ olderThan: cutoff, partitionsDropped: 1, filesRemoved: 1 });
    expect(await tradesPerDay()).toEqual({ [TODAY]: before[TODAY] });
    // No retention configured for silver/candles: its old day stays (it was compacted and checkpointed only).
    const silverResult = result.tables.find((t) => t.table === 'silver/candles')!;
    expect(silverResult.retention).toBeUndefined();
    expect((await silver.refresh()).version).toBeGreaterThanOrEqual(silverVersion);
    expect((await silver.refresh()).addFiles().map((f) => f.partitionValues.date)).toEqual([OLD_DAY]);
    // The dropped rows are still in the table's history until vacuum's retention passes (time travel).
    const history = await (await fx.lake.table('bronze/trades')).history();
    expect(history.some((h) => h.operation === 'DELETE' && String(h.operationParameters.reason) === 'data retention')).toBe(true);
  }, 120_000);
});
