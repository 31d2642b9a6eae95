/**
 * The streaming service against its references, in one run:
 * (a) a bare kafkajs eachBatch consumer reading the trades topic and doing nothing (the limit);
 * (b) the streaming service (`marketlake stream`, a child process) on the same topic, bronze and
 *     silver committed: trades/s, ratio (b)/(a), and its peak memory (VmHWM);
 * (c) the candle operator alone against DuckDB's GROUP BY of the same trades in memory;
 * (d) at a paced rate (10k trades/s), latency on Kafka's clock: the trades and candles topics
 *     use LogAppendTime, so every timestamp is the broker's append time. Two figures:
 *     - update latency (the target), per provisional emission of a symbol (its 1m updates
 *       built at one instant, same emittedAtUs): the updates' append time − the time up to which
 *       they are complete, i.e. the arrival of the first trade they do not include, or the
 *       emission instant when every trade that had arrived is in. So a trade that arrived 5 ms
 *       before an emission and missed it counts 5 ms (plus publishing) against the service, and
 *       a pause in the input counts nothing. It is what a live chart shows: how far behind the
 *       market each update is when it lands. The throttle (one update per 250 ms per symbol, by
 *       design) is not in it. (Measured from the newest included trade instead, as before, a
 *       symbol that got no trade for 200 ms counted the throttle's wait.)
 *     - per-trade latency: for each trade, the first provisional update containing it − the
 *       trade's append time. It includes the throttle's wait (up to 250 ms) by design.
 *
 * Env: STREAM_BENCH_TRADES (default 5,000,000), STREAM_BENCH_OPERATOR_TRADES (1,000,000),
 * STREAM_BENCH_LATENCY_RATE (10,000/s), STREAM_BENCH_LATENCY_SECONDS (60: about 1,200 emissions, so that p99 is not one or two samples),
 * STREAM_BENCH_SYMBOLS (5), STREAM_BENCH_PHASES (operator,throughput,latency: the parts to run), STREAM_BENCH_CPU_PROF (a directory: CPU-profile the service runs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { type CandleEvent, tradeKey, type TradeEvent } from '../common/events/index.ts';
import { Lake } from '../lake/index.ts';
import { createTopicsWithLeaders } from '../stack/topics.ts';
import { generateTrades, TradeSimulator } from '../producers/index.ts';
import { CandleOperator } from '../streaming/index.ts';
import { percentile } from './stats.ts';
import type { Benchmark, BenchContext } from './harness.ts';

const envInt = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const BIN = fileURLToPath(new URL('../bin/marketlake.js', import.meta.url));
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'XRPUSDT', 'ADAUSDT', 'DOGEUSDT', 'AVAXUSDT'].slice(0, envInt('STREAM_BENCH_SYMBOLS', 5));

async function createTopic(kafka: Kafka, partitions: number, logAppendTime = false): Promise<string> {
  const topic = `bench.stream.${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const configEntries = logAppendTime ? [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] : [];
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }]);
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** Fills `topic` with `count` simulated trades (streamed from the simulator, never all in memory). */
async function fillTopic(kafka: Kafka, topic: string, count: number, log: (m: string) => void): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const sim = new TradeSimulator({ symbols: SYMBOLS, ratePerSecond: 1_000, startTimeUs: Date.UTC(2024, 0, 2) * 1000, seed: 3 });
  const t0 = performance.now();
  try {
    const chunk = 5_000;
    for (let sent = 0; sent < count; sent += chunk) {
      const n = Math.min(chunk, count - sent);
      const messages: Message[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const t = sim.next();
        messages[i] = { key: tradeKey(t), value: JSON.stringify(t) };
      }
      await producer.send({ topic, messages, acks: 1 });
      if ((sent / chunk) % 100 === 0) log(`filled ${sent + n} trades`);
    }
  } finally {
    await producer.disconnect();
  }
  log(`topic filled with ${count} trades in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** (a) kafkajs eachBatch doing nothing: trades/s from the first batch to the last. */
async function bareConsumer(kafka: Kafka, topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-bare-${randomUUID()}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 32 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  let firstCount = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (seen === 0) {
          first = performance.now();
          firstCount = batch.messages.length;
        }
        seen += batch.messages.length;
        if (seen >= count) resolve(performance.now());
      },
    });
  });
  const end = await done;
  await consumer.disconnect();
  return ((count - firstCount) / (end - first)) * 1000;
}

/** STREAM_BENCH_CPU_PROF=<dir> writes V8 CPU profiles of each service run there (`<dir>/<phase>/`, one per thread). */
function startService(env: NodeJS.ProcessEnv, phase: string): ChildProcess {
  const profDir = process.env.STREAM_BENCH_CPU_PROF;
  const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profDir, phase)}`] : [];
  return spawn(process.execPath, [...prof, BIN, 'stream'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

function peakRssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

async function stopService(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
  });
}

/** (b) the service: trades/s from its first bronze commit until the lake's offsets reach the end. */
async function serviceRun(ctx: BenchContext, kafka: Kafka, topic: string, count: number): Promise<{ rate: number; peakRss: number }> {
  const lakeDir = path.join(ctx.workDir, 'lake-throughput');
  const group = `bench-stream-${randomUUID().slice(0, 8)}`;
  const candles = await createTopic(kafka, 1);
  const dlq = await createTopic(kafka, 1);
  const child = startService({
    LAKE_DIR: lakeDir, KAFKA_BROKERS: ctx.kafkaBrokers!.join(','), LOG_LEVEL: 'warn', STREAM_GROUP_ID: group, STREAM_TRADES_TOPIC: topic,
    STREAM_CANDLES_TOPIC: candles, STREAM_DEADLETTER_TOPIC: dlq, STREAM_INPUTS: 'trades', STREAM_METRICS_PORT: '0',
  }, 'throughput');
  const lake = new Lake(lakeDir);
  let first = 0;
  let firstCount = 0;
  let peakRss = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    if (child.exitCode !== null) throw new Error(`the streaming service exited with ${child.exitCode}`);
    peakRss = Math.max(peakRss, peakRssBytes(child.pid!));
    let done = 0;
    try {
      const snap = await (await lake.table('bronze/trades')).refresh();
      for (const v of snap.txnVersions(`stream:${group}:`).values()) done += v;
    } catch {
      continue; // the table is being created
    }
    if (done > 0 && first === 0) {
      first = performance.now();
      firstCount = done;
    }
    if (done >= count) {
      const end = performance.now();
      await stopService(child);
      return { rate: ((count - firstCount) / (end - first)) * 1000, peakRss };
    }
  }
}

/**
 * (c) operator vs DuckDB GROUP BY over the same trades. Rounds alternate between the two so that
 * noise from other work on the machine hits both; the best round of each is compared.
 */
async function operatorVsDuckDb(ctx: BenchContext, count: number): Promise<{ operatorRate: number; duckdbRate: number }> {
  const trades = generateTrades({ count, fromUs: Date.UTC(2024, 0, 3) * 1000, toUs: Date.UTC(2024, 0, 3, 8) * 1000, symbols: SYMBOLS, seed: 9 });
  const sentinel: TradeEvent = { ...trades[trades.length - 1], symbol: 'ZZZUSDT', tradeId: 1, tradeTimeUs: trades[trades.length - 1].tradeTimeUs + 3_600_000_000 };
  const ndjson = path.join(ctx.workDir, 'trades.ndjson');
  fs.writeFileSync(ndjson, trades.map((t) => JSON.stringify({ symbol: t.symbol, trade_id: t.tradeId, price: t.price, qty: t.qty, quote_qty: t.quoteQty, is_buyer_maker: t.isBuyerMaker, ts: t.tradeTimeUs })).join('\n'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`CREATE TABLE trades AS SELECT symbol::VARCHAR AS symbol, trade_id::BIGINT AS trade_id, price::DECIMAL(18,8) AS price, qty::DECIMAL(18,8) AS qty,
    quote_qty::DECIMAL(38,16) AS quote_qty, is_buyer_maker::BOOLEAN AS is_buyer_maker, ts::BIGINT AS ts FROM read_json('${ndjson}', format = 'newline_delimited', columns = {symbol: 'VARCHAR', trade_id: 'BIGINT', price: 'VARCHAR', qty: 'VARCHAR', quote_qty: 'VARCHAR', is_buyer_maker: 'BOOLEAN', ts: 'BIGINT'})`);
  let bestOp = Infinity;
  let bestDuck = Infinity;
  // The first rounds warm the JIT up (V8 optimises, deoptimises and re-optimises the operator's
  // hot path over the first few million trades: 1.9M/s in round 4, then a steady 4M/s); both
  // sides get the same unmeasured rounds, then the best of the measured ones counts.
  const warmupRounds = 3;
  for (let r = 0; r < warmupRounds + 5; r++) {
    const op = new CandleOperator();
    let t0 = performance.now();
    for (let i = 0; i < trades.length; i++) op.add(trades[i], 0, 0);
    op.add(sentinel, 0, 0);
    const out = op.advance(0);
    if (r >= warmupRounds) bestOp = Math.min(bestOp, performance.now() - t0);
    if (out.length === 0) throw new Error('operator produced nothing');
    await conn.run('DROP TABLE IF EXISTS candles');
    t0 = performance.now();
    await conn.run(`CREATE TABLE candles AS SELECT symbol, ts // 60000000 AS minute, arg_min(price, trade_id) AS open, max(price) AS high, min(price) AS low,
      arg_max(price, trade_id) AS close, sum(qty) AS volume, sum(quote_qty) AS quote_volume, count(*) AS trade_count,
      sum(qty) FILTER (WHERE NOT is_buyer_maker) AS taker_buy_volume, sum(quote_qty) FILTER (WHERE NOT is_buyer_maker) AS taker_buy_quote_volume,
      min(trade_id) AS first_trade_id, max(trade_id) AS last_trade_id FROM trades GROUP BY ALL`);
    if (r >= warmupRounds) bestDuck = Math.min(bestDuck, performance.now() - t0);
  }
  conn.closeSync();
  db.closeSync();
  return { operatorRate: (count / bestOp) * 1000, duckdbRate: (count / bestDuck) * 1000 };
}

/** Reads `topic` back: each trade's broker append time (LogAppendTime), by `symbol:tradeId`. */
async function appendTimes(kafka: Kafka, topic: string, count: number): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `bench-append-times-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const t = JSON.parse(m.value!.toString()) as TradeEvent;
          times.set(`${t.symbol}:${t.tradeId}`, Number(m.timestamp));
        }
        if (times.size >= count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return times;
}

interface LatencyFigures {
  /** Per emission: its updates' append − the arrival of the first trade they miss, or the emission instant (the target). */
  p50: number;
  p99: number;
  /** Per trade: first provisional update containing it − its append time (includes the throttle wait). */
  perTradeP50: number;
  perTradeP99: number;
  /** The target latency's two parts: complete-up-to → updates built (emittedAtUs); built → appended. */
  consumeP99: number;
  publishP99: number;
  /** The earlier measure, for comparison: per emission, from its newest included trade (counts the throttle after a pause in the input). */
  fromNewestP99: number;
  trades: number;
  updates: number;
}

/** (d) trade → provisional candle latency at a paced rate, live-like event times (see the header). */
async function latency(ctx: BenchContext, kafka: Kafka, rate: number, seconds: number): Promise<LatencyFigures> {
  const topic = await createTopic(kafka, 6, true);
  const candles = await createTopic(kafka, 1, true);
  const dlq = await createTopic(kafka, 1);
  const group = `bench-latency-${randomUUID().slice(0, 8)}`;
  const child = startService({
    LAKE_DIR: path.join(ctx.workDir, 'lake-latency'), KAFKA_BROKERS: ctx.kafkaBrokers!.join(','), LOG_LEVEL: 'warn', STREAM_GROUP_ID: group,
    STREAM_TRADES_TOPIC: topic, STREAM_CANDLES_TOPIC: candles, STREAM_DEADLETTER_TOPIC: dlq, STREAM_INPUTS: 'trades', STREAM_METRICS_PORT: '0',
  }, 'latency');
  const received: { ts: number; c: CandleEvent }[] = [];
  const consumer = kafka.consumer({ groupId: `${group}-reader`, maxWaitTimeInMs: 10 });
  await consumer.connect();
  await consumer.subscribe({ topic: candles, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const c = JSON.parse(message.value!.toString()) as CandleEvent;
      if (!c.isFinal && c.interval === '1m') received.push({ ts: Number(message.timestamp), c });
    },
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  // Warm-up: the service joins its group and reads the (empty) lake before the clock starts.
  await new Promise((r) => setTimeout(r, 8_000));
  const sim = new TradeSimulator({ symbols: SYMBOLS, ratePerSecond: rate, startTimeUs: Date.now() * 1000, seed: 4 });
  const sent: TradeEvent[] = [];
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const t0 = Date.now();
  for (let tick = 0; Date.now() - t0 < seconds * 1000; tick++) {
    const due = t0 + tick * tickMs;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const now = Date.now();
    const batch: Message[] = [];
    for (let i = 0; i < perTick; i++) {
      const t = { ...sim.next(), tradeTimeUs: now * 1000, receivedAtUs: now * 1000 };
      sent.push(t);
      batch.push({ key: tradeKey(t), value: JSON.stringify(t) });
    }
    await producer.send({ topic, messages: batch, acks: 1 });
  }
  await new Promise((r) => setTimeout(r, 2_000));
  await producer.disconnect();
  await consumer.disconnect();
  await stopService(child);
  const appendedAt = await appendTimes(kafka, topic, sent.length);
  // Per trade (informative): the first provisional 1m update of its symbol that includes it.
  const bySymbol = new Map<string, { ts: number; c: CandleEvent }[]>();
  for (const r of received) {
    const list = bySymbol.get(r.c.symbol) ?? [];
    list.push(r);
    bySymbol.set(r.c.symbol, list);
  }
  for (const list of bySymbol.values()) list.sort((a, b) => a.ts - b.ts);
  const perTrade: number[] = [];
  for (const t of sent) {
    const list = bySymbol.get(t.symbol) ?? [];
    const hit = list.find((r) => r.c.windowStartUs <= t.tradeTimeUs && t.tradeTimeUs < r.c.windowEndUs && (r.c.lastTradeId ?? -1) >= t.tradeId);
    const appended = appendedAt.get(`${t.symbol}:${t.tradeId}`);
    if (hit && appended !== undefined) perTrade.push(Math.max(0, hit.ts - appended));
  }
  // Per emission (the target): a symbol's updates built at one instant (same emittedAtUs) are
  // complete up to the first trade they do not include (the newest included id + 1: ids are
  // contiguous per symbol and a symbol lives in one partition), or up to the instant itself
  // when that trade had not arrived yet. Latency = the updates' append − that completeness time.
  const emissions = new Map<string, { symbol: string; emittedAt: number; newestId: number; appendedAt: number }>();
  for (const r of received) {
    const key = `${r.c.symbol}:${r.c.emittedAtUs}`;
    const e = emissions.get(key) ?? { symbol: r.c.symbol, emittedAt: r.c.emittedAtUs / 1000, newestId: -1, appendedAt: 0 };
    e.newestId = Math.max(e.newestId, r.c.lastTradeId ?? -1);
    e.appendedAt = Math.max(e.appendedAt, r.ts);
    emissions.set(key, e);
  }
  const service: number[] = [];
  const consume: number[] = [];
  const publish: number[] = [];
  const fromNewest: number[] = [];
  for (const e of emissions.values()) {
    const newest = appendedAt.get(`${e.symbol}:${e.newestId}`);
    if (newest !== undefined) fromNewest.push(Math.max(0, e.appendedAt - newest));
    const firstMissing = appendedAt.get(`${e.symbol}:${e.newestId + 1}`);
    const completeUpTo = firstMissing === undefined ? e.emittedAt : Math.min(firstMissing, e.emittedAt);
    service.push(Math.max(0, e.appendedAt - completeUpTo));
    consume.push(Math.max(0, e.emittedAt - completeUpTo));
    publish.push(Math.max(0, e.appendedAt - e.emittedAt));
  }
  for (const a of [service, consume, publish, perTrade, fromNewest]) a.sort((x, y) => x - y);
  if (perTrade.length < sent.length * 0.95) throw new Error(`only ${perTrade.length} of ${sent.length} trades reached a provisional candle`);
  return {
    p50: percentile(service, 50),
    p99: percentile(service, 99),
    perTradeP50: percentile(perTrade, 50),
    perTradeP99: percentile(perTrade, 99),
    consumeP99: percentile(consume, 99),
    publishP99: percentile(publish, 99),
    fromNewestP99: percentile(fromNewest, 99),
    trades: sent.length,
    updates: service.length,
  };
}

const bench: Benchmark = {
  name: 'streaming-throughput',
  description: 'streaming service vs a bare kafkajs consumer; candle operator vs DuckDB GROUP BY; trade → provisional candle latency',
  needs: ['kafka'],
  targets: {
    service_vs_bare_consumer: { min: 0.7 },
    service_trades_per_s: { min: 100_000 },
    operator_vs_duckdb: { min: 0.25 },
    latency_p99_ms: { max: 50 },
  },
  async run(ctx) {
    const kafka = new Kafka({ clientId: 'bench-stream', brokers: ctx.kafkaBrokers!, logLevel: logLevel.WARN });
    const count = envInt('STREAM_BENCH_TRADES', 5_000_000);
    const figures: Record<string, number> = {};

    const ratios: Record<string, number> = {};
    const phases = new Set((process.env.STREAM_BENCH_PHASES ?? 'operator,throughput,latency').split(',').map((p) => p.trim()));

    if (phases.has('operator')) {
      const op = await operatorVsDuckDb(ctx, envInt('STREAM_BENCH_OPERATOR_TRADES', 1_000_000));
      figures.operator_trades_per_s = op.operatorRate;
      figures.duckdb_group_by_trades_per_s = op.duckdbRate;
      ratios.operator_vs_duckdb = op.operatorRate / op.duckdbRate;
      ctx.log(`operator ${op.operatorRate.toFixed(0)}/s, DuckDB GROUP BY ${op.duckdbRate.toFixed(0)}/s`);
    }

    if (phases.has('throughput')) {
      const topic = await createTopic(kafka, 6);
      await fillTopic(kafka, topic, count, ctx.log);
      figures.bare_consumer_trades_per_s = await bareConsumer(kafka, topic, count);
      ctx.log(`bare kafkajs consumer ${figures.bare_consumer_trades_per_s.toFixed(0)}/s`);
      const service = await serviceRun(ctx, kafka, topic, count);
      figures.service_trades_per_s = service.rate;
      figures.service_peak_rss_mb = service.peakRss / 1024 / 1024;
      ratios.service_vs_bare_consumer = figures.service_trades_per_s / figures.bare_consumer_trades_per_s;
      ctx.log(`service ${service.rate.toFixed(0)}/s, peak RSS ${figures.service_peak_rss_mb.toFixed(0)} MB`);
    }

    if (!phases.has('latency')) return { figures, ratios };
    const lat = await latency(ctx, kafka, envInt('STREAM_BENCH_LATENCY_RATE', 10_000), envInt('STREAM_BENCH_LATENCY_SECONDS', 60));
    figures.latency_p50_ms = lat.p50;
    figures.latency_p99_ms = lat.p99;
    figures.latency_per_trade_p50_ms = lat.perTradeP50;
    figures.latency_per_trade_p99_ms = lat.perTradeP99;
    figures.latency_consume_p99_ms = lat.consumeP99;
    figures.latency_publish_p99_ms = lat.publishP99;
    figures.latency_from_newest_included_p99_ms = lat.fromNewestP99;
    figures.latency_trades = lat.trades;
    figures.latency_updates = lat.updates;
    ctx.log(`update latency (each emission's append − the arrival of the first trade it misses) p50 ${lat.p50} ms, p99 ${lat.p99} ms over ${lat.updates} emissions; incl. the 250 ms throttle p50 ${lat.perTradeP50} ms, p99 ${lat.perTradeP99} ms; p99 of its parts: to the update built ${lat.consumeP99.toFixed(0)} ms, publishing ${lat.publishP99.toFixed(0)} ms`);
    return { figures, ratios };
  },
};

export default bench;
