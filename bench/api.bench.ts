/**
 * The API under load, each side by side with its reference in the same run:
 * (a) `/v1/ohlc` at 100 concurrent clients (real HTTP) over a silver table of 10 symbols × 366
 *     days (3,660 partitions; the 2024 BTCUSDT 1m klines under ten symbol names, from
 *     MARKETLAKE_REFERENCE_DATA) against the same queries made directly through @duckdb/node-api
 *     (read_parquet over the partitions' files, one connection per client) at the same
 *     concurrency. Target: p99 ratio ≤ 2.
 * (b) `/v1/stream` with 50 SSE clients while 10,000 trades/s are published to Kafka: the time from
 *     a trade's publication to its arrival at a client. Target: p99 ≤ 100 ms.
 * Knobs: API_BENCH_SYMBOLS (10), API_BENCH_REQUESTS (3000), API_BENCH_CLIENTS (100),
 * API_BENCH_SSE_CLIENTS (50), API_BENCH_SSE_RATE (10000), API_BENCH_SSE_SECONDS (10), API_BENCH_PHASES (ohlc,sse).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import type { Benchmark } from './harness.ts';
import { percentile } from './stats.ts';
import { parseEnv } from '../common/config.ts';
import { createLogger } from '../common/logger.ts';
import { Lake } from '../lake/index.ts';
import { LakeReader, LiveFeed, SqlRunner, apiEnvSchema, createApp } from '../api/index.ts';
import { referenceDataDir } from '../test/fixtures/paths.ts';
import { createTopicsWithLeaders } from '../stack/topics.ts';
import { klineToSilverRow, readKlines } from '../test/support/api-lake.ts';

async function listen(fetch: (r: Request) => Response | Promise<Response>): Promise<{ server: ServerType; url: string }> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function close(server: ServerType): void {
  (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  server.close();
}

/** Runs `total` tasks with `concurrency` workers; returns each task's latency (ms), sorted. */
async function loadTest(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await task(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

const bench: Benchmark = {
  name: 'api',
  description: '/v1/ohlc at 100 clients vs @duckdb/node-api over 3,660 partitions; SSE trade-to-client latency at 10k trades/s × 50 clients',
  needs: ['kafka'],
  targets: { ohlc_p99_vs_duckdb: { max: 2 }, sse_trade_to_client_p99_ms: { max: 100 } },
  async run(ctx) {
    const phases = (process.env.API_BENCH_PHASES ?? 'ohlc,sse').split(',');
    const figures: Record<string, number> = {};
    const ratios: Record<string, number> = {};
    const config = parseEnv(apiEnvSchema, { LAKE_DIR: path.join(ctx.workDir, 'lake'), LOG_LEVEL: 'silent', API_RATE_LIMIT_PER_MINUTE: '0', API_KEYS: 'bench' });
    const logger = createLogger('api-bench', 'silent');

    if (phases.includes('ohlc')) {
      const ref = referenceDataDir();
      const dir = ref && path.join(ref, 'binance', 'btcusdt-spot-1m-klines-2024');
      if (!dir || !fs.existsSync(dir)) {
        ctx.log('MARKETLAKE_REFERENCE_DATA with the 2024 klines is not set: the /v1/ohlc comparison is NOT MEASURED');
      } else {
        const symbols = Array.from({ length: Number(process.env.API_BENCH_SYMBOLS ?? 10) }, (_, i) => (i === 0 ? 'BTCUSDT' : `SYM${i}USDT`));
        const t0 = performance.now();
        const klines = [];
        for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.zip')).sort()) klines.push(...(await readKlines(path.join(dir, f))));
        const lake = new Lake(config.LAKE_DIR);
        const table = await lake.table('silver/candles');
        for (const s of symbols) await table.append(klines.map((k) => klineToSilverRow(k, s)));
        const snap = await table.refresh();
        figures.partitions = snap.partitions().length;
        figures.candles = klines.length * symbols.length;
        ctx.log(`${figures.candles} candles in ${figures.partitions} partitions written in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

        const reader = await LakeReader.open({ lake: config.LAKE_DIR, refreshMs: config.API_LAKE_REFRESH_MS });
        const sql = await SqlRunner.open(reader.lake, { maxRows: 10, timeoutMs: 1000, maxResultBytes: 1000 });
        const app = createApp({ config, lake: reader, sql, feed: undefined, backfills: undefined, logger, registry: new Registry() });
        const { server, url } = await listen(app.fetch);
        // The same pseudo-random queries for both sides: a symbol, a day, an hour, 500 one-minute candles.
        const queries = Array.from({ length: Number(process.env.API_BENCH_REQUESTS ?? 3000) }, (_, i) => {
          const s = symbols[(i * 7) % symbols.length];
          const fromMs = Date.UTC(2024, 0, 1) + ((i * 104_729) % 365) * 86_400_000 + ((i * 31) % 24) * 3_600_000;
          return { s, fromMs, toMs: fromMs + 500 * 60_000 };
        });
        const concurrency = Number(process.env.API_BENCH_CLIENTS ?? 100);
        const apiOne = async (i: number) => {
          const q = queries[i];
          const res = await fetch(`${url}/v1/ohlc/${q.s}?interval=1m&from=${q.fromMs}&to=${q.toMs}&limit=500`);
          const body = (await res.json()) as { candles: unknown[] };
          if (res.status !== 200 || body.candles.length !== 500) throw new Error(`unexpected answer ${res.status} ${body.candles?.length}`);
        };
        // Reference: the query through @duckdb/node-api directly over the partitions' Parquet files.
        const instance = await DuckDBInstance.create(':memory:');
        const conns = await Promise.all(Array.from({ length: concurrency }, () => instance.connect()));
        let free = [...conns];
        const duckOne = async (i: number) => {
          const q = queries[i];
          const days = new Set([new Date(q.fromMs).toISOString().slice(0, 10), new Date(q.toMs - 1).toISOString().slice(0, 10)]);
          const files = [...days].flatMap((d) => snap.filesInPartition({ symbol: q.s, date: d })).map((f) => `'${table.filePath(f.path)}'`);
          const conn = free.pop()!;
          try {
            const reader2 = await conn.runAndReadAll(
              `SELECT epoch_us(window_start) AS window_start, epoch_us(window_end) AS window_end, open, high, low, close, volume, quote_volume, vwap, trade_count, taker_buy_volume, taker_buy_quote_volume, is_final FROM read_parquet([${files.join(',')}]) WHERE exchange = 'binance' AND "interval" = '1m' AND window_start >= make_timestamp(${q.fromMs * 1000}::BIGINT) AND window_start < make_timestamp(${q.toMs * 1000}::BIGINT) QUALIFY row_number() OVER (PARTITION BY window_start ORDER BY revision DESC) = 1 ORDER BY window_start LIMIT 500`,
            );
            const rows = reader2.getRowObjectsJson();
            if (rows.length !== 500) throw new Error(`reference answered ${rows.length} rows`);
            JSON.stringify(rows);
          } finally {
            free.push(conn);
          }
        };
        // Warm-up for both, then alternate rounds.
        await loadTest(200, concurrency, apiOne);
        await loadTest(200, concurrency, duckOne);
        const apiLat: number[] = [];
        const duckLat: number[] = [];
        for (let round = 0; round < 2; round++) {
          apiLat.push(...(await loadTest(queries.length, concurrency, apiOne)));
          duckLat.push(...(await loadTest(queries.length, concurrency, duckOne)));
        }
        apiLat.sort((a, b) => a - b);
        duckLat.sort((a, b) => a - b);
        figures.ohlc_api_p50_ms = percentile(apiLat, 50);
        figures.ohlc_api_p99_ms = percentile(apiLat, 99);
        figures.ohlc_duckdb_p50_ms = percentile(duckLat, 50);
        figures.ohlc_duckdb_p99_ms = percentile(duckLat, 99);
        ratios.ohlc_p99_vs_duckdb = figures.ohlc_api_p99_ms / figures.ohlc_duckdb_p99_ms;
        free = [];
        for (const c of conns) c.closeSync();
        instance.closeSync();
        close(server);
        reader.close();
        sql.close();
      }
    }

    if (phases.includes('sse') && ctx.kafkaBrokers) {
      const kafka = new Kafka({ clientId: 'api-bench', brokers: ctx.kafkaBrokers, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      const topics = { trades: `bench-api-trades-${Date.now()}`, candles: `bench-api-candles-${Date.now()}`, alerts: `bench-api-alerts-${Date.now()}` };
      await createTopicsWithLeaders(admin, [{ topic: topics.trades, numPartitions: 6, replicationFactor: 1 }, { topic: topics.candles, numPartitions: 1, replicationFactor: 1 }, { topic: topics.alerts, numPartitions: 1, replicationFactor: 1 }]);
      await admin.disconnect();
      const feed = new LiveFeed({ brokers: ctx.kafkaBrokers, topics, logger });
      await feed.start();
      const reader = await LakeReader.open({ lake: config.LAKE_DIR, engines: 1 });
      const sql = await SqlRunner.open(reader.lake, { maxRows: 10, timeoutMs: 1000, maxResultBytes: 1000 });
      const app = createApp({ config, lake: reader, sql, feed, backfills: undefined, logger, registry: new Registry() });
      const { server, url } = await listen(app.fetch);
      const clientsN = Number(process.env.API_BENCH_SSE_CLIENTS ?? 50);
      const rate = Number(process.env.API_BENCH_SSE_RATE ?? 10_000);
      const seconds = Number(process.env.API_BENCH_SSE_SECONDS ?? 10);
      const latencies: number[] = [];
      let received = 0;
      const aborts: AbortController[] = [];
      const decoder = new TextDecoder();
      const marker = '"receivedAtUs":';
      await Promise.all(
        Array.from({ length: clientsN }, async () => {
          const ac = new AbortController();
          aborts.push(ac);
          const res = await fetch(`${url}/v1/stream?channels=trades`, { signal: ac.signal });
          const rd = res.body!.getReader();
          void (async () => {
            try {
              for (;;) {
                const { value, done } = await rd.read();
                if (done) return;
                const now = Date.now();
                const text = decoder.decode(value);
                // The publisher stamps each trade's receivedAtUs with its send time.
                for (let i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + 1)) {
                  const sentUs = Number(text.slice(i + marker.length, text.indexOf(',', i + marker.length)));
                  latencies.push(now - sentUs / 1000);
                  received++;
                }
              }
            } catch {
              // aborted at the end
            }
          })();
        }),
      );
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      // A fresh broker may still be moving leaders: one retried warm-up send before the clock starts.
      for (let attempt = 0; ; attempt++) {
        try {
          await producer.send({ topic: topics.trades, messages: Array.from({ length: 12 }, (_, i) => ({ key: `warm:${i}`, value: '{}' })) });
          break;
        } catch (err) {
          if (attempt > 50) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await new Promise((r) => setTimeout(r, 500));
      latencies.length = 0;
      const tickMs = 10;
      const perTick = Math.round((rate * tickMs) / 1000);
      const start = Date.now();
      let sent = 0;
      let id = 0;
      while (Date.now() - start < seconds * 1000) {
        const tickStart = Date.now();
        const nowUs = Date.now() * 1000;
        const messages = Array.from({ length: perTick }, () => {
          id++;
          const s = `SYM${id % 10}USDT`;
          return { key: `binance:${s}`, value: `{"v":1,"exchange":"binance","symbol":"${s}","kind":"trade","tradeId":${id},"price":"42000.10000000","qty":"0.01000000","quoteQty":"420.0010000000000000","isBuyerMaker":false,"tradeTimeUs":${nowUs},"receivedAtUs":${nowUs},"source":"simulator"}` };
        });
        await producer.send({ topic: topics.trades, messages });
        sent += perTick;
        const wait = tickMs - (Date.now() - tickStart);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const sendSeconds = (Date.now() - start) / 1000;
      const expected = sent * clientsN;
      for (let i = 0; i < 100 && received < expected; i++) await new Promise((r) => setTimeout(r, 100));
      await producer.disconnect();
      for (const ac of aborts) ac.abort();
      close(server);
      await feed.stop();
      reader.close();
      sql.close();
      // The first second is warm-up (connections, JIT): measure the rest.
      const measured = latencies.slice(Math.floor(latencies.length / seconds));
      measured.sort((a, b) => a - b);
      figures.sse_trades_per_s = sent / sendSeconds;
      figures.sse_clients = clientsN;
      figures.sse_delivered_share = received / expected;
      figures.sse_trade_to_client_p50_ms = percentile(measured, 50);
      figures.sse_trade_to_client_p99_ms = percentile(measured, 99);
      if (received < expected) ctx.log(`only ${received} of ${expected} deliveries arrived`);
    }
    return { figures, ratios };
  },
};
export default bench;
