/**
 * Lake write path, 1M trade rows by default (LAKE_BENCH_ROWS):
 * - ours: `DeltaTable.append` = validate + appender into a VARCHAR staging table + one
 *   partitioned COPY with DECIMAL casts and file stats + a Delta commit;
 * - reference: DuckDB's own appender + COPY of the same rows to one Parquet file, the fastest way
 *   we know (same staging types and decimal casts) but without validation, partitioning, stats or
 *   log, in the same run;
 * - parquetjs-lite writing the same rows (LAKE_BENCH_PARQUETJS_ROWS, default 200k: it is slow),
 *   decimals as strings since it cannot write DECIMAL.
 * Bytes on disk are reported for each.
 */
import fs from 'node:fs';
import path from 'node:path';
import parquet from 'parquetjs-lite';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Benchmark } from './harness.ts';
import { BRONZE_TRADES, decimalFromVarchar, DeltaTable } from '../lake/index.ts';
import { syntheticTrades } from '../test/support/lake/synthetic-trades.ts';

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && e.name.endsWith('.parquet')) n += fs.statSync(path.join(e.parentPath, e.name)).size;
  return n;
}

const bench: Benchmark = {
  name: 'lake-write',
  description: 'write + commit of trade rows vs DuckDB appender + COPY vs parquetjs-lite',
  targets: { ours_vs_duckdb_copy: { min: 0.5 }, ours_rows_per_s: { min: 300_000 } },
  async run(ctx) {
    const n = Number(process.env.LAKE_BENCH_ROWS ?? 1_000_000);
    const nJs = Number(process.env.LAKE_BENCH_PARQUETJS_ROWS ?? 200_000);
    const rows = syntheticTrades({ count: n, symbols: ['BTCUSDT', 'ETHUSDT'], stepUs: 50_000 });
    ctx.log(`${n} rows generated`);

    // Reference: DuckDB's own appender + COPY, same rows, same staging trick, one file.
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const refFile = path.join(ctx.workDir, 'ref.parquet');
    const runReference = async () => {
      await conn.run(`CREATE OR REPLACE TEMP TABLE s (exchange VARCHAR, symbol VARCHAR, kind VARCHAR, trade_id DOUBLE, first_trade_id DOUBLE, last_trade_id DOUBLE, price VARCHAR, qty VARCHAR, quote_qty VARCHAR, is_buyer_maker BOOLEAN, trade_time DOUBLE, received_at DOUBLE, source VARCHAR)`);
      const t0 = performance.now();
      const a = await conn.createAppender('s', 'main', 'temp');
      for (const r of rows) {
        a.appendVarchar(r.exchange as string);
        a.appendVarchar(r.symbol as string);
        a.appendVarchar(r.kind as string);
        a.appendDouble(r.trade_id as number);
        a.appendNull();
        a.appendNull();
        a.appendVarchar(r.price as string);
        a.appendVarchar(r.qty as string);
        a.appendVarchar(r.quote_qty as string);
        a.appendBoolean(r.is_buyer_maker as boolean);
        a.appendDouble(r.trade_time as number);
        a.appendDouble(r.received_at as number);
        a.appendVarchar(r.source as string);
        a.endRow();
      }
      a.flushSync();
      a.closeSync();
      await conn.run(
        `COPY (SELECT exchange, symbol, kind, trade_id::BIGINT AS trade_id, first_trade_id::BIGINT AS first_trade_id, last_trade_id::BIGINT AS last_trade_id, price::DECIMAL(18,8) AS price, qty::DECIMAL(18,8) AS qty, ${decimalFromVarchar('quote_qty', 38, 16)} AS quote_qty, is_buyer_maker, make_timestamptz(trade_time::BIGINT) AS trade_time, make_timestamptz(received_at::BIGINT) AS received_at, source FROM temp.s) TO '${refFile}' (FORMAT parquet, COMPRESSION zstd)`,
      );
      return performance.now() - t0;
    };

    const runOurs = async (i: number) => {
      const table = await DeltaTable.create(path.join(ctx.workDir, `ours-${i}`), BRONZE_TRADES);
      const t0 = performance.now();
      await table.append(rows, { txn: [{ appId: 'bench', version: n }] });
      return { ms: performance.now() - t0, dir: table.dir };
    };

    // Warm up both once, then alternate so that machine load hits both alike.
    await runReference();
    await runOurs(0);
    const refTimes: number[] = [];
    const ourTimes: number[] = [];
    let ourDir = '';
    for (let i = 1; i <= 3; i++) {
      refTimes.push(await runReference());
      const o = await runOurs(i);
      ourTimes.push(o.ms);
      ourDir = o.dir;
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const refMs = median(refTimes);
    const ourMs = median(ourTimes);
    ctx.log(`duckdb copy ${refTimes.map((t) => t.toFixed(0)).join('/')} ms; ours ${ourTimes.map((t) => t.toFixed(0)).join('/')} ms`);
    conn.closeSync();
    db.closeSync();

    // parquetjs-lite, fewer rows.
    const jsFile = path.join(ctx.workDir, 'parquetjs.parquet');
    const schema = new parquet.ParquetSchema({
      exchange: { type: 'UTF8', compression: 'SNAPPY' },
      symbol: { type: 'UTF8', compression: 'SNAPPY' },
      kind: { type: 'UTF8', compression: 'SNAPPY' },
      trade_id: { type: 'INT64', compression: 'SNAPPY' },
      price: { type: 'UTF8', compression: 'SNAPPY' },
      qty: { type: 'UTF8', compression: 'SNAPPY' },
      quote_qty: { type: 'UTF8', compression: 'SNAPPY' },
      is_buyer_maker: { type: 'BOOLEAN', compression: 'SNAPPY' },
      trade_time: { type: 'TIMESTAMP_MICROS', compression: 'SNAPPY' },
      received_at: { type: 'TIMESTAMP_MICROS', compression: 'SNAPPY' },
      source: { type: 'UTF8', compression: 'SNAPPY' },
    });
    const tJs = performance.now();
    const writer = await parquet.ParquetWriter.openFile(schema, jsFile);
    for (let i = 0; i < nJs; i++) {
      const r = rows[i];
      await writer.appendRow({ ...r, first_trade_id: undefined, last_trade_id: undefined });
    }
    await writer.close();
    const jsMs = performance.now() - tJs;

    const ourBytes = dirBytes(ourDir);
    const refBytes = fs.statSync(refFile).size;
    const jsBytes = fs.statSync(jsFile).size;
    return {
      figures: {
        rows: n,
        ours_rows_per_s: n / (ourMs / 1000),
        duckdb_copy_rows_per_s: n / (refMs / 1000),
        parquetjs_rows_per_s: nJs / (jsMs / 1000),
        ours_bytes_per_row: ourBytes / n,
        duckdb_copy_bytes_per_row: refBytes / n,
        parquetjs_bytes_per_row: jsBytes / nJs,
        ours_bytes: ourBytes,
      },
      ratios: {
        ours_vs_duckdb_copy: refMs / ourMs,
        duckdb_copy_vs_parquetjs_speed: n / (refMs / 1000) / (nJs / (jsMs / 1000)),
        parquetjs_vs_duckdb_bytes_per_row: jsBytes / nJs / (refBytes / n),
      },
    };
  },
};
export default bench;
