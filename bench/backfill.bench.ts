/**
 * Backfill of all of 2024 (527,040 BTCUSDT 1m klines, 12 monthly zips served by the local
 * data.binance.vision mirror from MARKETLAKE_REFERENCE_DATA), three ways, alternating, BACKFILL_BENCH_ROUNDS
 * rounds (default 2; temporal and local swap places every round), each on a fresh lake and a fresh archive cache:
 * - temporal: the `backfill` workflow on the bench's Temporal dev server, with the worker's two
 *   queues in this process (download + .CHECKSUM verification + unzip + stage + one commit per month);
 * - local: `marketlake backfill --local`'s runner, the same activities in-process without Temporal;
 * - duckdb: ONE DuckDB statement reading the same csv files (unzipped beforehand, not timed) and
 *   writing the same Parquet (1m rows plus the 5m/15m/1h rollups, partitioned by symbol and date,
 *   zstd): the floor for this work, without download, verification, validation or a log.
 * Targets: temporal ≤ 1.5 × duckdb, temporal ≤ 1.1 × local (medians of the rounds).
 *
 * Downstream work is not the backfill's: a backfill that wrote partitions starts an incremental
 * `goldBuild` (an abandoned child on queue `marketlake`, run by the same worker) when it ends.
 * The temporal time stops at the backfill's result; the bench then waits for that gold build
 * and reports its time on its own (`gold_after_backfill_ms`, not in any ratio), so that it
 * neither counts against the backfill nor runs on in the background into the next timed section.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createLogger } from '../common/logger.ts';
import { createMetricsRegistry } from '../common/metrics.ts';
import { Lake } from '../lake/index.ts';
import { startBinanceLocalServer } from '../test/support/binance/binance-local-server.ts';
import { zipText } from '../test/support/archive-oracle.ts';
import { loadWorkerConfig, runBackfillLocally, startWorkers, type BackfillInput, type BackfillResult } from '../workflows/index.ts';
import { referenceData, type Benchmark } from './harness.ts';
import { median } from './stats.ts';

const INPUT: BackfillInput = { symbols: ['BTCUSDT'], from: '2024-01-01', to: '2024-12-31', source: 'klines', mode: 'all', maxConcurrency: 4 };
const ROWS_1M = 527_040;

function referenceSql(csvGlob: string, outDir: string): string {
  const rollup = (interval: string, minutes: number) => {
    const size = minutes * 60_000_000;
    const ne = 'FILTER (WHERE n > 0)';
    return `SELECT '${interval}' AS "interval", (ws // ${size}) * ${size} AS ws, coalesce(arg_min(o, ws) ${ne}, arg_max(c, ws)) AS o, coalesce(max(h) ${ne}, arg_max(c, ws)) AS h,
      coalesce(min(l) ${ne}, arg_max(c, ws)) AS l, coalesce(arg_max(c, ws) ${ne}, arg_max(c, ws)) AS c, sum(v) AS v, sum(qv) AS qv, sum(n) AS n, sum(tbv) AS tbv, sum(tbqv) AS tbqv
      FROM k GROUP BY ALL`;
  };
  return `COPY (
    WITH k AS (SELECT column00 * 1000 AS ws, column01::DECIMAL(18,8) AS o, column02::DECIMAL(18,8) AS h, column03::DECIMAL(18,8) AS l, column04::DECIMAL(18,8) AS c,
        column05::DECIMAL(38,8) AS v, column07::DECIMAL(38,16) AS qv, column08 AS n, column09::DECIMAL(38,8) AS tbv, column10::DECIMAL(38,16) AS tbqv
      FROM read_csv('${csvGlob}', header = false, all_varchar = false)),
    c AS (SELECT '1m' AS "interval", ws, o, h, l, c, v, qv, n, tbv, tbqv FROM k
      UNION ALL ${rollup('5m', 5)} UNION ALL ${rollup('15m', 15)} UNION ALL ${rollup('1h', 60)})
    SELECT 'binance' AS exchange, 'BTCUSDT' AS symbol, "interval", make_timestamp(ws) AS window_start, make_timestamp(ws + CASE "interval" WHEN '1m' THEN 60 WHEN '5m' THEN 300 WHEN '15m' THEN 900 ELSE 3600 END::BIGINT * 1000000) AS window_end,
      o AS open, h AS high, l AS low, c AS close, v AS volume, qv AS quote_volume, CASE WHEN v = 0 THEN NULL ELSE (qv / v)::DECIMAL(38,16) END AS vwap, n AS trade_count,
      tbv AS taker_buy_volume, tbqv AS taker_buy_quote_volume, NULL::BIGINT AS first_trade_id, NULL::BIGINT AS last_trade_id, 0::BIGINT AS revision, true AS is_final,
      now()::TIMESTAMP AS finalized_at, 'klines' AS source, CAST(make_timestamp(ws) AS DATE) AS date
    FROM c
  ) TO '${outDir}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (symbol, date))`;
}

const bench: Benchmark = {
  name: 'backfill',
  description: 'backfill of 2024 (527,040 1m klines, 12 monthly zips from the local mirror): through Temporal vs --local vs one DuckDB statement over the same csv',
  needs: ['temporal'],
  targets: { temporal_vs_duckdb: { max: 1.5 }, temporal_vs_local: { max: 1.1 } },
  async run(ctx) {
    const data = referenceData('binance/btcusdt-spot-1m-klines-2024');
    if ('skipped' in data) return data.skipped;
    const zips = fs.readdirSync(data.path).filter((f) => /^BTCUSDT-1m-2024-\d\d\.zip$/.test(f)).sort();
    if (zips.length !== 12) return { figures: {}, skipped: `${data.path} holds ${zips.length} of the 12 monthly zips` };
    const rounds = Number(process.env.BACKFILL_BENCH_ROUNDS ?? 2);
    // The reference's input: the same csv files, unzipped once (not timed).
    const csvDir = path.join(ctx.workDir, 'csv');
    fs.mkdirSync(csvDir);
    for (const z of zips) fs.writeFileSync(path.join(csvDir, z.replace('.zip', '.csv')), await zipText(path.join(data.path, z)));

    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      // Installed already.
    }
    const binance = await startBinanceLocalServer();
    const native = await NativeConnection.connect({ address: ctx.temporalAddress! });
    const connection = await Connection.connect({ address: ctx.temporalAddress! });
    const client = new Client({ connection });
    const logger = createLogger('backfill-bench', 'warn');
    const deps = (name: string) => {
      const lake = new Lake(path.join(ctx.workDir, name, 'lake'));
      const config = loadWorkerConfig({ ...process.env, LAKE_DIR: lake.root, BACKFILL_CACHE_DIR: path.join(ctx.workDir, name, 'cache'), BINANCE_ARCHIVE_URL: binance.url, TEMPORAL_ADDRESS: ctx.temporalAddress });
      return { lake, config, fetch: globalThis.fetch, logger, registry: createMetricsRegistry(`bench-${name}`) };
    };
    const times: Record<'temporal' | 'local' | 'duckdb' | 'goldAfter', number[]> = { temporal: [], local: [], duckdb: [], goldAfter: [] };
    const check = (r: BackfillResult, how: string) => {
      if (r.failed.length > 0 || r.progress.partitions.done !== 366 || r.progress.rowsWritten !== ROWS_1M + ROWS_1M / 5 + ROWS_1M / 15 + ROWS_1M / 60) {
        throw new Error(`${how} backfill did not write all of 2024: ${JSON.stringify(r.progress)}`);
      }
    };
    try {
      for (let round = 0; round < rounds; round++) {
        {
          const db = await DuckDBInstance.create(':memory:');
          const conn = await db.connect();
          await conn.run(`SET TimeZone = 'UTC'`);
          const out = path.join(ctx.workDir, `duckdb-${round}`);
          const t0 = performance.now();
          await conn.run(referenceSql(path.join(csvDir, '*.csv'), out));
          times.duckdb.push(performance.now() - t0);
          conn.closeSync();
        }
        // Temporal: the worker of this round (its lake and cache) serves the backfill queue.
        const viaTemporal = async () => {
          const d = deps(`temporal-${round}`);
          const workers = await startWorkers(native, d, { namespace: 'default' });
          try {
            const t0 = performance.now();
            const handle = await client.workflow.start('backfill', { taskQueue: 'marketlake-backfill', workflowId: `bench-${randomUUID()}`, args: [INPUT as never] });
            const r = (await handle.result()) as BackfillResult;
            times.temporal.push(performance.now() - t0);
            check(r, 'temporal');
            // The gold build the backfill started at its end (the id the workflow derives from its last run).
            const t1 = performance.now();
            const { runId } = await handle.describe();
            try {
              await client.workflow.getHandle(`gold-after-${handle.workflowId}-${runId}`).result();
            } catch (err) {
              const cause = (err as Error).cause;
              ctx.log(`the gold build after the backfill failed (not the backfill's outcome): ${cause instanceof Error ? cause.message : (err as Error).message}`);
            }
            times.goldAfter.push(performance.now() - t1);
          } finally {
            await workers.shutdown();
          }
        };
        const viaLocal = async () => {
          const d = deps(`local-${round}`);
          const t0 = performance.now();
          const r = await runBackfillLocally(d, INPUT);
          times.local.push(performance.now() - t0);
          check(r, 'local');
        };
        // Which of the two goes first alternates, so that neither always follows the same thing
        // (the DuckDB statement, or the gold build the temporal backfill started).
        if (round % 2 === 0) {
          await viaTemporal();
          await viaLocal();
        } else {
          await viaLocal();
          await viaTemporal();
        }
        ctx.log(
          `round ${round + 1}: temporal ${times.temporal[round].toFixed(0)} ms, local ${times.local[round].toFixed(0)} ms, duckdb ${times.duckdb[round].toFixed(0)} ms` +
            ` (then, not timed in these: the gold build the temporal backfill started, ${times.goldAfter[round].toFixed(0)} ms)`,
        );
      }
    } finally {
      await connection.close();
      await native.close();
      await binance.close();
    }
    const t = median(times.temporal);
    const l = median(times.local);
    const k = median(times.duckdb);
    return {
      figures: {
        rows_1m: ROWS_1M,
        temporal_ms: t,
        local_ms: l,
        duckdb_ms: k,
        temporal_rows_per_s: ROWS_1M / (t / 1000),
        duckdb_rows_per_s: ROWS_1M / (k / 1000),
        gold_after_backfill_ms: median(times.goldAfter),
      },
      ratios: { temporal_vs_duckdb: t / k, temporal_vs_local: t / l },
    };
  },
};
export default bench;
