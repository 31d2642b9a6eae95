/**
 * Partition pruning through the views: a query for one symbol and one day on a table with
 * >= 3,600 partitions (LAKE_BENCH_SYMBOLS × LAKE_BENCH_DAYS, default 10 × 360), through the
 * `bronze_trades` view (whose file list names every file of the snapshot) against reading that
 * partition's file directly with read_parquet, in the same run. Target: ratio <= 2 for a
 * repeated query (the engine caches its pruning rewrite per query text and snapshot); the ratio
 * for first-time queries (parse + prune + rewrite each time) is reported beside it.
 */
import path from 'node:path';
import type { Benchmark } from './harness.ts';
import { Lake, LakeQueryEngine } from '../lake/index.ts';
import { syntheticTrades } from '../test/support/lake/synthetic-trades.ts';

const bench: Benchmark = {
  name: 'lake-query',
  description: 'one symbol and day on a table with 3,600 partitions: view vs the partition file read directly',
  targets: { view_vs_direct_file: { max: 2 } },
  async run(ctx) {
    const symbols = Array.from({ length: Number(process.env.LAKE_BENCH_SYMBOLS ?? 10) }, (_, i) => `SYM${i}USDT`);
    const days = Number(process.env.LAKE_BENCH_DAYS ?? 360);
    const perPartition = Number(process.env.LAKE_BENCH_ROWS_PER_PARTITION ?? 200);
    const lake = new Lake(path.join(ctx.workDir, 'lake'));
    const table = await lake.table('bronze/trades');
    const t0 = performance.now();
    // Rows cycle through symbols and are spaced so that each day gets perPartition rows per symbol.
    const step = Math.floor(86_400_000_000 / perPartition);
    for (let s = 0; s < symbols.length; s++) {
      await table.append(syntheticTrades({ count: days * perPartition, symbols: [symbols[s]], stepUs: step, firstTradeId: s * 10_000_000, seed: s }));
    }
    const snap = await table.refresh();
    ctx.log(`${snap.files.size} files in ${snap.partitions().length} partitions written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const engine = await LakeQueryEngine.open({ lake });
    const symbol = symbols[Math.floor(symbols.length / 2)];
    const day = '2024-06-15';
    const files = snap.filesInPartition({ symbol, date: day });
    if (files.length !== 1) throw new Error(`expected one file for ${symbol} ${day}, got ${files.length}`);
    const agg = `count(*) AS n, sum(qty) AS volume, min(price) AS low, max(price) AS high, arg_min(price, trade_time) AS open, arg_max(price, trade_time) AS close`;
    const viaView = `SELECT ${agg} FROM bronze_trades WHERE symbol = '${symbol}' AND date = DATE '${day}'`;
    const direct = `SELECT ${agg} FROM read_parquet('${table.filePath(files[0].path)}')`;
    const a = await engine.query(viaView);
    const b = await engine.query(direct);
    if (JSON.stringify(a.rows) !== JSON.stringify(b.rows) || a.rows[0].n !== String(perPartition)) throw new Error(`results differ: ${JSON.stringify(a.rows)} vs ${JSON.stringify(b.rows)}`);
    const time = async (sql: string) => {
      const t = performance.now();
      await engine.query(sql);
      return performance.now() - t;
    };
    const viewTimes: number[] = [];
    const directTimes: number[] = [];
    for (let i = 0; i < 25; i++) {
      viewTimes.push(await time(viaView));
      directTimes.push(await time(direct));
    }
    // First-time queries (no rewrite cached): a different day each time.
    const coldView: number[] = [];
    const coldDirect: number[] = [];
    for (let i = 0; i < 25; i++) {
      const d = new Date(Date.UTC(2024, 2, 1) + i * 86_400_000).toISOString().slice(0, 10);
      const f = snap.filesInPartition({ symbol, date: d })[0];
      coldView.push(await time(`SELECT ${agg} FROM bronze_trades WHERE symbol = '${symbol}' AND date = DATE '${d}'`));
      coldDirect.push(await time(`SELECT ${agg} FROM read_parquet('${table.filePath(f.path)}')`));
    }
    engine.close();
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    return {
      figures: {
        partitions: snap.partitions().length,
        files: snap.files.size,
        view_query_ms: median(viewTimes),
        direct_file_query_ms: median(directTimes),
        first_time_view_query_ms: median(coldView),
        first_time_direct_file_query_ms: median(coldDirect),
      },
      ratios: { view_vs_direct_file: median(viewTimes) / median(directTimes), first_time_view_vs_direct_file: median(coldView) / median(coldDirect) },
    };
  },
};
export default bench;
