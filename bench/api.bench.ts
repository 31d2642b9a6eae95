/**
 * The API under load, each side by side with its reference in the same run:
 * (a) `/v1/ohlc` at 100 concurrent clients (real HTTP) over a silver table of 10 symbols × 366
 *     days (3,660 partitions; the 2024 BTCUSDT 1m klines under ten symbol names, from
 *     MARKETLAKE_REFERENCE_DATA) against the same queries made directly through @duckdb/node-api
 *     (read_parquet over the partitions' files, one connection per client) at the same
 *     concurrency, in alternating rounds (which side goes first alternates too). Target: p99 ratio
 *     ≤ 2, the median over rounds of each round's API p99 / DuckDB p99 (the pooled ratio and each
 *     side's CPU per query are reported beside it).
 * (b) `/v1/stream` with 50 SSE clients while 10,000 trades/s are published to Kafka: the time from
 *     a trade's publication (its Kafka append time) to its arrival at a client, with the API, the
 *     clients and the publisher each in a process of its own. Target: p99 ≤ 100 ms.
 * Knobs: API_BENCH_SYMBOLS (10), API_BENCH_REQUESTS (400 a round), API_BENCH_CLIENTS (100),
 * API_BENCH_CPU_PROF (a directory: CPU-profile the API process, and the SSE client fleet in its fleet/), API_BENCH_LAKE_DIR (keep the /v1/ohlc lake there between runs), API_BENCH_ROUNDS (5),
 * API_BENCH_SSE_CLIENTS (50), API_BENCH_SSE_FLEETS (1: the processes the clients are split over), API_BENCH_SSE_RATE (10000), API_BENCH_SSE_SECONDS (10), API_BENCH_PHASES (ohlc,sse).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import type { Benchmark } from './harness.ts';
import { median, percentile } from './stats.ts';
import { Lake, LakeQueryEngine } from '../lake/index.ts';
import { referenceDataDir } from '../test/fixtures/paths.ts';
import { freePort } from '../stack/net.ts';
import { createTopicsWithLeaders } from '../stack/topics.ts';
import { klineToSilverRow, readKlines } from '../test/support/api-lake.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(HERE, '..', 'bin', 'marketlake.js');
const RUN_TS = path.join(HERE, '..', 'bin', 'run-ts.js');

/** `marketlake api` as users run it, in a process of its own; resolves once /health answers as `ready` wants. */
async function startApi(env: Record<string, string>, ready: (health: { checks?: Record<string, { status: string }> }) => boolean): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prof = process.env.API_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.API_BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, BIN, 'api'], {
    env: { ...process.env, API_PORT: String(port), API_HOST: '127.0.0.1', API_RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`marketlake api exited with ${child.exitCode}`);
      const health = await getOnce(`${url}/health`).catch(() => undefined);
      return health !== undefined && ready(JSON.parse(health) as { checks?: Record<string, { status: string }> });
    }, 120_000, 'marketlake api to be up');
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  }
  return { url, child };
}

/**
 * A GET on a connection of its own, closed after the answer: a polling loop's idle keep-alive
 * connection must not be reused by the load test later (the server may close it just then:
 * ECONNRESET).
 */
function getOnce(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function getJson(url: string, agent: http.Agent): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function stopChildren(children: ChildProcess[]): Promise<void> {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  const exited = running.map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of running.reverse()) c.kill('SIGTERM');
  await Promise.all(exited);
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
    if (phases.includes('ohlc')) {
      const ref = referenceDataDir();
      const dir = ref && path.join(ref, 'binance', 'btcusdt-spot-1m-klines-2024');
      if (!dir || !fs.existsSync(dir)) ctx.log('MARKETLAKE_REFERENCE_DATA with the 2024 klines is not set: the /v1/ohlc comparison is NOT MEASURED');
      else Object.assign(figures, await measureOhlc(dir, process.env.API_BENCH_LAKE_DIR ?? path.join(ctx.workDir, 'lake'), ctx.log));
      // The median over rounds of each round's p99 pair (as producers-publish does): a load spike
      // during one side's turn moves one round, not the figure. The pooled ratio is reported too.
      if (figures.ohlc_duckdb_p99_ms) {
        figures.ohlc_pooled_p99_ratio = figures.ohlc_api_p99_ms / figures.ohlc_duckdb_p99_ms;
        ratios.ohlc_p99_vs_duckdb = figures.ohlc_p99_ratio_median_of_rounds;
      }
    }
    if (phases.includes('sse') && ctx.kafkaBrokers) {
      Object.assign(figures, await measureSse(ctx.kafkaBrokers, path.join(ctx.workDir, 'sse-lake'), ctx.log));
    }
    return { figures, ratios };
  },
};
export default bench;

/**
 * (a) Builds silver/candles with 10 symbols × 366 days: the year's klines are written once through
 * the lake's row writer (BTCUSDT), then copied under the other nine names by one DuckDB
 * `appendFromSql` (3,294 partitions in one COPY: seconds, where writing 4.7M more rows through
 * the row writer took half an hour on a loaded 2-core machine). Then the same pseudo-random
 * queries (a symbol, a day, an hour; 500 one-minute candles) through `marketlake api` over HTTP
 * and directly through @duckdb/node-api, at the same concurrency, in alternating rounds.
 */
async function buildOhlcLake(klinesDir: string, table: Awaited<ReturnType<Lake['table']>>, lake: Lake, symbols: string[]): Promise<void> {
  const klines = [];
  for (const f of fs.readdirSync(klinesDir).filter((n) => n.endsWith('.zip')).sort()) klines.push(...(await readKlines(path.join(klinesDir, f))));
  await table.append(klines.map((k) => klineToSilverRow(k, symbols[0])));
  if (symbols.length > 1) {
    const writer = await LakeQueryEngine.open({ lake, readOnly: false });
    try {
      const names = symbols.slice(1).map((s) => `('${s}')`).join(', ');
      await table.appendFromSql(writer.connection, `SELECT c.* REPLACE (s.name AS symbol) FROM silver_candles_all_revisions AS c CROSS JOIN (VALUES ${names}) AS s(name) WHERE c.symbol = '${symbols[0]}'`);
    } finally {
      writer.close();
    }
  }
}

async function countRows(lake: Lake): Promise<string | undefined> {
  const engine = await LakeQueryEngine.open({ lake: new Lake(lake.root) });
  try {
    return String((await engine.query('SELECT count(*) AS n FROM silver_candles_all_revisions')).rows[0]?.n);
  } finally {
    engine.close();
  }
}

async function measureOhlc(klinesDir: string, lakeDir: string, log: (m: string) => void): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  const symbols = Array.from({ length: Number(process.env.API_BENCH_SYMBOLS ?? 10) }, (_, i) => (i === 0 ? 'BTCUSDT' : `SYM${i}USDT`));
  const t0 = performance.now();
  const lake = new Lake(lakeDir);
  const table = await lake.table('silver/candles');
  // API_BENCH_LAKE_DIR keeps the lake between runs: built once, reused while it has every symbol.
  const built = new Set(table.snapshot().partitions().map((p) => p.symbol));
  if (!symbols.every((s) => built.has(s))) await buildOhlcLake(klinesDir, table, lake, symbols);
  const snap = await table.refresh();
  figures.partitions = snap.partitions().length;
  figures.candles = Number((await countRows(lake)) ?? NaN);
  figures.ohlc_lake_build_s = (performance.now() - t0) / 1000;
  log(`${figures.candles} candles in ${figures.partitions} partitions ready in ${figures.ohlc_lake_build_s.toFixed(0)} s`);

  const api = await startApi({ LAKE_DIR: lakeDir, API_STREAM_ENABLED: 'false' }, (h) => h.checks?.lake?.status === 'ok');
  const instance = await DuckDBInstance.create(':memory:');
  const concurrency = Number(process.env.API_BENCH_CLIENTS ?? 100);
  const conns = await Promise.all(Array.from({ length: concurrency }, () => instance.connect()));
  try {
    const queries = Array.from({ length: Number(process.env.API_BENCH_REQUESTS ?? 400) }, (_, i) => {
      const s = symbols[(i * 7) % symbols.length];
      const fromMs = Date.UTC(2024, 0, 1) + ((i * 104_729) % 365) * 86_400_000 + ((i * 31) % 24) * 3_600_000;
      return { s, fromMs, toMs: fromMs + 500 * 60_000 };
    });
    // Keep-alive connections of one agent per load test (closed after it: an idle connection
    // kept across the other side's round could be closed by the server just as it is reused).
    let agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const apiOne = async (i: number) => {
      const q = queries[i];
      const { status, body } = await getJson(`${api.url}/v1/ohlc/${q.s}?interval=1m&from=${q.fromMs}&to=${q.toMs}&limit=500`, agent);
      if (status !== 200 || (body as { candles: unknown[] }).candles.length !== 500) throw new Error(`unexpected answer ${status} ${JSON.stringify(body).slice(0, 300)}`);
    };
    const apiLoad = async (n: number) => {
      agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
      try {
        return await loadTest(n, concurrency, apiOne);
      } finally {
        agent.destroy();
      }
    };
    // Reference: the query through @duckdb/node-api directly over the partitions' Parquet files.
    const free = [...conns];
    const duckOne = async (i: number) => {
      const q = queries[i];
      const days = new Set([new Date(q.fromMs).toISOString().slice(0, 10), new Date(q.toMs - 1).toISOString().slice(0, 10)]);
      const files = [...days].flatMap((d) => snap.filesInPartition({ symbol: q.s, date: d })).map((f) => `'${table.filePath(f.path)}'`);
      const conn = free.pop()!;
      try {
        const reader = await conn.runAndReadAll(
          `SELECT epoch_us(window_start) AS window_start, epoch_us(window_end) AS window_end, open, high, low, close, volume, quote_volume, vwap, trade_count, taker_buy_volume, taker_buy_quote_volume, is_final FROM read_parquet([${files.join(',')}]) WHERE exchange = 'binance' AND "interval" = '1m' AND window_start >= make_timestamp(${q.fromMs * 1000}::BIGINT) AND window_start < make_timestamp(${q.toMs * 1000}::BIGINT) QUALIFY row_number() OVER (PARTITION BY window_start ORDER BY revision DESC) = 1 ORDER BY window_start LIMIT 500`,
        );
        const rows = reader.getRowObjectsJson();
        if (rows.length !== 500) throw new Error(`reference answered ${rows.length} rows`);
        JSON.stringify(rows);
      } finally {
        free.push(conn);
      }
    };
    // Warm-up for both, then alternate rounds.
    await apiLoad(200);
    await loadTest(200, concurrency, duckOne);
    const apiLat: number[] = [];
    const duckLat: number[] = [];
    const rounds = Number(process.env.API_BENCH_ROUNDS ?? 5);
    // CPU per query of each side (both processes' for the API: the server and its HTTP clients
    // here), which unlike latency does not depend on how much of the machine the run got.
    let apiCpu = 0;
    let duckCpu = 0;
    const benchCpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    const roundRatios: number[] = [];
    const apiRound = async () => {
      const cpu0 = benchCpu() + cpuSeconds(api.child.pid!);
      const lat = await apiLoad(queries.length);
      apiCpu += benchCpu() + cpuSeconds(api.child.pid!) - cpu0;
      return lat;
    };
    const duckRound = async () => {
      const cpu0 = benchCpu();
      const lat = await loadTest(queries.length, concurrency, duckOne);
      duckCpu += benchCpu() - cpu0;
      return lat;
    };
    for (let round = 0; round < rounds; round++) {
      // Which side goes first alternates too (load on a shared machine drifts within a round pair).
      const t = performance.now();
      const first = round % 2 === 0 ? await apiRound() : await duckRound();
      const tMid = performance.now();
      const second = round % 2 === 0 ? await duckRound() : await apiRound();
      const [a, d] = round % 2 === 0 ? [first, second] : [second, first];
      apiLat.push(...a);
      duckLat.push(...d);
      roundRatios.push(percentile(a, 99) / percentile(d, 99));
      const [apiS, duckS] = round % 2 === 0 ? [tMid - t, performance.now() - tMid] : [performance.now() - tMid, tMid - t];
      log(`round ${round + 1}: API ${(apiS / 1000).toFixed(1)} s, DuckDB ${(duckS / 1000).toFixed(1)} s for ${queries.length} queries each; p99 ratio ${roundRatios.at(-1)!.toFixed(2)}`);
    }
    figures.ohlc_p99_ratio_median_of_rounds = median(roundRatios);
    apiLat.sort((a, b) => a - b);
    duckLat.sort((a, b) => a - b);
    figures.ohlc_api_p50_ms = percentile(apiLat, 50);
    figures.ohlc_api_p99_ms = percentile(apiLat, 99);
    figures.ohlc_duckdb_p50_ms = percentile(duckLat, 50);
    figures.ohlc_duckdb_p99_ms = percentile(duckLat, 99);
    figures.ohlc_api_cpu_ms_per_query = (apiCpu * 1000) / (rounds * queries.length);
    figures.ohlc_duckdb_cpu_ms_per_query = (duckCpu * 1000) / (rounds * queries.length);
  } finally {
    for (const c of conns) c.closeSync();
    instance.closeSync();
    await stopChildren([api.child]);
  }
  return figures;
}

/**
 * (b) The API as users run it (`node bin/marketlake.js api`, its own process and event loop), a
 * fleet of SSE clients in a second process and the trade publisher in a third: the bench process
 * only orchestrates. A trade is published when Kafka appended it (the topic uses LogAppendTime,
 * so its timestamp is the broker's clock); latency = the time a client's chunk holding it
 * arrived (Date.now() in the fleet) − that. Both clocks are this machine's one system clock
 * (±1 ms). Trades appended in the publisher's first second are warm-up. The publisher's own
 * queueing before the broker (send issued → appended) is reported beside it, not in it.
 */
async function measureSse(brokers: string[], lakeDir: string, log: (m: string) => void): Promise<Record<string, number>> {
  const kafka = new Kafka({ clientId: 'api-bench', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const stamp = Date.now();
  const topics = { trades: `bench-api-trades-${stamp}`, candles: `bench-api-candles-${stamp}`, alerts: `bench-api-alerts-${stamp}` };
  await createTopicsWithLeaders(admin, [
    // LogAppendTime: each trade's Kafka timestamp is the broker's append time, its publication.
    { topic: topics.trades, numPartitions: 6, replicationFactor: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] },
    { topic: topics.candles, numPartitions: 1, replicationFactor: 1 },
    { topic: topics.alerts, numPartitions: 1, replicationFactor: 1 },
  ]);
  await admin.disconnect();
  const clientsN = Number(process.env.API_BENCH_SSE_CLIENTS ?? 50);
  const rate = Number(process.env.API_BENCH_SSE_RATE ?? 10_000);
  const seconds = Number(process.env.API_BENCH_SSE_SECONDS ?? 10);
  fs.mkdirSync(lakeDir, { recursive: true });
  const api = await startApi(
    { LAKE_DIR: lakeDir, KAFKA_BROKERS: brokers.join(','), API_STREAM_TRADES_TOPIC: topics.trades, API_STREAM_CANDLES_TOPIC: topics.candles, API_STREAM_ALERTS_TOPIC: topics.alerts },
    (h) => h.checks?.kafka?.status === 'ok',
  );
  const url = api.url;
  const children: ChildProcess[] = [api.child];
  try {
    const prof = process.env.API_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.API_BENCH_CPU_PROF, 'fleet')}`] : [];
    // The clients split over API_BENCH_SSE_FLEETS processes (each its own event loop and core share).
    const fleetsN = Math.max(1, Math.min(clientsN, Number(process.env.API_BENCH_SSE_FLEETS ?? 1)));
    const fleets = Array.from({ length: fleetsN }, (_, i) => {
      const n = Math.floor(clientsN / fleetsN) + (i < clientsN % fleetsN ? 1 : 0);
      return spawn(process.execPath, [...prof, RUN_TS, path.join(HERE, 'support', 'sse-client-fleet.ts'), url, String(n), String(Math.ceil(rate * (seconds + 5) * n))], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    });
    children.push(...fleets);
    const fleetMessages = fleets.map(messagesOf);
    await Promise.all(fleetMessages.map((m) => m.next('ready', 60_000)));
    const fleetsCpu = () => fleets.reduce((sum, f) => sum + cpuSeconds(f.pid!), 0);
    const apiCpu0 = cpuSeconds(api.child.pid!);
    const machine0 = machineCpuSeconds();
    const fleetCpu0 = fleetsCpu();
    const publisher = spawn(process.execPath, [RUN_TS, path.join(HERE, 'support', 'trade-publisher.ts'), brokers.join(','), topics.trades, String(rate), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(publisher);
    let out = '';
    publisher.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => publisher.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the publisher exited with ${code}`)))));
    const published = JSON.parse(out.trim().split('\n').at(-1)!) as { sent: number; seconds: number; cpuSeconds: number };
    const machine1 = machineCpuSeconds();
    const machineBusy = machine1.busy - machine0.busy;
    const apiCpu = cpuSeconds(api.child.pid!) - apiCpu0;
    const fleetCpu = fleetsCpu() - fleetCpu0;
    // Let the tail arrive (every client gets every trade), then collect.
    const expected = published.sent * clientsN;
    for (let i = 0; i < 40; i++) {
      for (const f of fleets) f.send({ progress: true });
      const progress = await Promise.all(fleetMessages.map((m) => m.next('progress', 10_000)));
      if (progress.reduce((sum, p) => sum + Number(p.progress), 0) >= expected) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const feedLag = histogramQuantiles(await getOnce(`${url}/metrics`), 'marketlake_api_feed_lag_seconds', [0.5, 0.99]);
    // Publication = the broker's append time; trades appended in the publisher's first second are warm-up.
    const started = Number(/\{"started":(\d+)\}/.exec(out)![1]);
    const appended = await appendTimes(kafka, topics.trades, published.sent);
    const publishDelays = appended.map((a) => a.appendedMs - a.stampedMs).sort((a, b) => a - b);
    const publishedAt = appended.map((a) => [a.tradeId, a.appendedMs]);
    for (const f of fleets) f.send({ publishedAt, measureFromMs: started + 1000 });
    const result = { received: 0, kept: 0, unmatched: 0, histogram: {} as Record<string, number> };
    for (const m of fleetMessages) {
      const part = (await m.next('histogram', 60_000)) as unknown as typeof result;
      result.received += part.received;
      result.kept += part.kept;
      result.unmatched += part.unmatched;
      for (const [ms, n] of Object.entries(part.histogram)) result.histogram[ms] = (result.histogram[ms] ?? 0) + n;
    }
    if (result.kept < result.received || result.unmatched > 0) log(`${result.received - result.kept} deliveries not kept, ${result.unmatched} without a publication time`);
    const latencies: number[] = [];
    for (const [ms, n] of Object.entries(result.histogram)) for (let k = 0; k < n; k++) latencies.push(Number(ms));
    latencies.sort((a, b) => a - b);
    if (result.received < expected) log(`only ${result.received} of ${expected} deliveries arrived`);
    return {
      sse_machine_load_1m: os.loadavg()[0],
      sse_trades_per_s: published.sent / published.seconds,
      sse_clients: clientsN,
      sse_client_processes: fleetsN,
      sse_delivered_share: result.received / expected,
      sse_deliveries_timed: latencies.length,
      sse_api_cpu_share: apiCpu / published.seconds,
      sse_api_cpu_ms_per_1k_deliveries: (apiCpu * 1e6) / expected,
      sse_clients_cpu_share: fleetCpu / published.seconds,
      sse_publisher_cpu_share: published.cpuSeconds / published.seconds,
      // While publishing: the machine's busy cores, what of it was neither the API, the clients
      // nor the publisher (the broker and whatever else ran), and the cores its hypervisor took.
      // A run starved by the machine's other work shows here: its latency measures the machine.
      sse_machine_busy_cores: machineBusy / published.seconds,
      sse_broker_and_other_cpu_cores: (machineBusy - apiCpu - fleetCpu - published.cpuSeconds) / published.seconds,
      sse_machine_steal_cores: (machine1.steal - machine0.steal) / published.seconds,
      sse_trade_to_client_p50_ms: percentile(latencies, 50),
      sse_trade_to_client_p99_ms: percentile(latencies, 99),
      sse_trade_to_client_max_ms: latencies.at(-1) ?? NaN,
      sse_publish_to_append_p99_ms: percentile(publishDelays, 99),
      // The part before the API: append → the API's feed has the record (bucket upper bounds).
      sse_append_to_api_feed_p50_ms_at_most: feedLag[0] * 1000,
      sse_append_to_api_feed_p99_ms_at_most: feedLag[1] * 1000,
    };
  } finally {
    await stopChildren(children);
  }
}

/** Each trade's id, its publisher stamp (receivedAtUs) and its append time (LogAppendTime), read back from the topic. */
async function appendTimes(kafka: Kafka, topic: string, count: number): Promise<{ tradeId: number; stampedMs: number; appendedMs: number }[]> {
  const out: { tradeId: number; stampedMs: number; appendedMs: number }[] = [];
  const consumer = kafka.consumer({ groupId: `api-bench-append-times-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} trades back from ${topic}`)), 120_000);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const v = m.value?.toString('utf8') ?? '';
            const id = /"tradeId":(\d+)/.exec(v);
            const stamp = /"receivedAtUs":(\d+)/.exec(v);
            if (id && stamp) out.push({ tradeId: Number(id[1]), stampedMs: Number(stamp[1]) / 1000, appendedMs: Number(m.timestamp) });
          }
          if (out.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Quantiles of a Prometheus histogram from its text exposition: the upper bound of the bucket each falls in. */
function histogramQuantiles(text: string, name: string, qs: number[]): number[] {
  const buckets: [number, number][] = [];
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} (\\d+)`, 'gm'))) buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  const total = buckets.at(-1)?.[1] ?? 0;
  return qs.map((q) => buckets.find(([, n]) => n >= q * total)?.[0] ?? NaN);
}

/**
 * CPU time (s, every core) the machine has spent so far working (all but idle, iowait and steal)
 * and losing to its hypervisor (steal: a vCPU ready to run while the host ran something else).
 */
function machineCpuSeconds(): { busy: number; steal: number } {
  const [, user, nice, system, , , irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return { busy: (user + nice + system + irq + softirq) / 100, steal: steal / 100 };
}

/** CPU time (user + system, s) a process used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The IPC messages of a child, awaited by a key they carry. */
function messagesOf(child: ChildProcess): { next(key: string, timeoutMs: number): Promise<Record<string, unknown>> } {
  const queue: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (m) => {
    queue.push(m as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  return {
    async next(key, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = queue.findIndex((m) => key in m);
        if (i >= 0) return queue.splice(i, 1)[0];
        if (child.exitCode !== null) throw new Error(`the client fleet exited with ${child.exitCode}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for the client fleet's ${key}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 250);
        });
      }
    },
  };
}
