/**
 * Opening a table with 20,000 commits (LAKE_BENCH_COMMITS), each adding one file and a streaming
 * txn like the streaming service's commits: from a checkpoint (plus the last few JSON commits)
 * against replaying every JSON commit. Target: < 1 s with checkpoints.
 */
import path from 'node:path';
import type { Benchmark } from './harness.ts';
import { BRONZE_TRADES, DeltaTable, type Action } from '../lake/index.ts';
import fs from 'node:fs';

const bench: Benchmark = {
  name: 'lake-open',
  description: 'open a table with 20,000 commits: checkpoint vs full log replay',
  targets: { open_with_checkpoint_ms: { max: 1000 } },
  async run(ctx) {
    const commits = Number(process.env.LAKE_BENCH_COMMITS ?? 20_000);
    const tail = 7; // JSON commits after the last checkpoint
    const dir = path.join(ctx.workDir, 'bronze', 'trades');
    const table = await DeltaTable.create(dir, { ...BRONZE_TRADES, configuration: { 'delta.checkpointInterval': '0' } });
    // Commits written straight to the log (a table's own commits would also read each back).
    const store = table.store;
    const t0 = performance.now();
    const stats = '{"numRecords":500,"minValues":{"trade_id":1,"price":60000.01000000},"maxValues":{"trade_id":500,"price":60999.99000000},"nullCount":{"trade_id":0,"price":0}}';
    for (let v = 1; v <= commits; v++) {
      const day = new Date(Date.UTC(2024, 0, 1) + Math.floor(v / 100) * 86_400_000).toISOString().slice(0, 10);
      const actions: Action[] = [
        { commitInfo: { timestamp: 1_700_000_000_000 + v, operation: 'WRITE', operationParameters: { mode: 'Append' }, readVersion: v - 1, isBlindAppend: true } },
        { txn: { appId: `stream:bench:market.trades.v1:${v % 6}`, version: v * 500, lastUpdated: 1_700_000_000_000 + v } },
        { add: { path: `symbol=BTCUSDT/date=${day}/part-${String(v).padStart(8, '0')}.parquet`, partitionValues: { symbol: 'BTCUSDT', date: day }, size: 40_000, modificationTime: 1_700_000_000_000 + v, dataChange: true, stats } },
      ];
      await store.writeCommit(v, actions);
      if (v === commits - tail) await table.checkpoint();
    }
    ctx.log(`${commits} commits + checkpoint at ${commits - tail} written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const opened = await DeltaTable.open(dir);
      times.push(performance.now() - t);
      if (opened.version !== commits || opened.snapshot().files.size !== commits) throw new Error('opened the wrong state');
    }
    const withCheckpoint = times.sort((a, b) => a - b)[2];

    // Reference: no checkpoint, replay every JSON commit.
    const cp = store.checkpointPath(commits - tail);
    fs.renameSync(cp, `${cp}.hidden`);
    fs.rmSync(path.join(store.logDir, '_last_checkpoint'));
    const t = performance.now();
    const replayed = await DeltaTable.open(dir);
    const replayMs = performance.now() - t;
    if (replayed.snapshot().files.size !== commits) throw new Error('replay gave the wrong state');
    return {
      figures: { commits, open_with_checkpoint_ms: withCheckpoint, open_by_replaying_json_ms: replayMs },
      ratios: { replay_vs_checkpoint: replayMs / withCheckpoint },
    };
  },
};
export default bench;
