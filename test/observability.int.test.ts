/**
 * The boards and rules against what they read, since Grafana itself cannot run here (issue 17,
 * must show 1 and 2). The services run as a user runs them (`node bin/marketlake.js ...` child
 * processes: the producers against local servers replaying recorded Binance, CoinGecko,
 * alternative.me and CoinDesk payloads, the stream, the worker, the API), Prometheus is started by
 * the project's stack code with prometheus/prometheus.yml and its rules, and real traffic goes
 * through: websocket trades (with a gap), a replay of a day of trades, bad messages, backfills (one
 * good, one invalid, one of an archive that does not exist), scheduled maintenance, a gold build,
 * and the API's reads.
 * 1. Every PromQL expression of every board, recording rule and alert rule (alerts without their
 *    threshold) returns at least one series. Expressions reading a service or workflow that is
 *    not built yet are listed as unproven, never counted as passing.
 * 2. Every Infinity query of the boards is fetched from the running API, as Grafana would with the
 *    provisioned key, and each column the panel maps is there with values of the declared type.
 * The report of both is written to .marketlake/observability-report.json.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dashboard } from '@grafana/schema';
import { ALL_TOPICS, TOPICS } from '../common/topics.ts';
import { TRADE_GAPS_TOPIC } from '../common/events/index.ts';
import { LakeQueryEngine } from '../lake/index.ts';
import { freePort } from '../stack/net.ts';
import { PrometheusComponent } from '../stack/prometheus.ts';
import type { StackSettings } from '../stack/settings.ts';
import { temporalMetricsPort } from '../stack/temporal.ts';
import { createTopicsWithLeaders } from '../stack/topics.ts';
import { buildProgram } from '../cli/main.ts';
import { loadDashboards } from '../grafana/build.ts';
import { infinityQueries } from '../grafana/board-queries.ts';
import { kafkaBrokers, temporalAddress, testKafka } from './infra.ts';
import { startBinanceWsServer } from './support/binance/ws-binance-server.ts';
import { tradeFrame, trxTrades20250304 } from './support/binance/ws-frames.ts';
import { startHttpReplayServer } from './support/http-replay-server.ts';
import { PAYLOADS, readSharedData } from './support/recorded-payloads.ts';
import { workflowsFixture } from './support/workflows-fixture.ts';
import { runCli, startService, type ServiceProcess } from './support/observability/cli-process.ts';
import { shippedExpressions, sourcesOf } from './support/observability/expressions.ts';
import { columnProblems, resolveUrl, rowsAt } from './support/observability/infinity-check.ts';
import { TRADES_2017_DIR } from './fixtures/paths.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
});

const API_KEY = `obs-${randomUUID().slice(0, 8)}`;

function commandExists(name: string): boolean {
  return buildProgram().commands.some((c) => c.name() === name);
}

async function promQuery(base: string, expr: string): Promise<{ ok: boolean; series: number; error?: string }> {
  const r = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await r.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  return body.status === 'success' ? { ok: true, series: body.data!.result.length } : { ok: false, series: 0, error: body.error };
}

async function promValue(base: string, expr: string): Promise<number | undefined> {
  const body = (await (await fetch(`${base}/api/v1/query?${new URLSearchParams({ query: expr })}`)).json()) as { data?: { result: { value: [number, string] }[] } };
  const v = body.data?.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('boards and rules against the running services', () => {
  it('every PromQL expression returns series from a Prometheus that scraped them; every Infinity query answers with its columns', async () => {
    // ---- isolation: a namespace, a lake, private topics ----------------------------------------
    const fx = await workflowsFixture('obs', { workers: false });
    cleanups.push(() => fx.cleanup());
    const suffix = `.obs${randomUUID().slice(0, 8)}`;
    const topic = (t: string) => `${t}${suffix}`;
    const kafka = testKafka('observability-test');
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsWithLeaders(admin, [...new Set([...ALL_TOPICS, TRADE_GAPS_TOPIC, TOPICS.alerts])].map((t) => ({ topic: topic(t), numPartitions: t === TOPICS.trades ? 3 : 1 })));
    await admin.disconnect();

    // ---- the outside world, replayed ------------------------------------------------------------
    const ws = await startBinanceWsServer();
    cleanups.push(() => ws.close());
    const http = await startHttpReplayServer({
      '/api/v3/coins/markets': [{ body: readSharedData(...PAYLOADS.coingeckoMarkets) }],
      '/fng/': [{ body: readSharedData(...PAYLOADS.fearGreed) }],
      '/arc/outboundfeeds/rss/': [{ body: readSharedData(...PAYLOADS.coindeskRss), headers: { 'content-type': 'application/rss+xml' } }],
    });
    cleanups.push(() => http.close());

    const base: NodeJS.ProcessEnv = {
      ...fx.env,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      MARKETLAKE_STATE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'ml-obs-state-')),
      LOG_LEVEL: 'warn',
      PRODUCER_TOPIC_SUFFIX: suffix,
      STREAM_GROUP_ID: `obs${suffix}`,
      STREAM_TRADES_TOPIC: topic(TOPICS.trades),
      STREAM_TICKERS_TOPIC: topic(TOPICS.tickers),
      STREAM_SENTIMENT_TOPIC: topic(TOPICS.sentiment),
      STREAM_NEWS_TOPIC: topic(TOPICS.news),
      STREAM_CANDLES_TOPIC: topic(TOPICS.candles),
      STREAM_DEADLETTER_TOPIC: topic(TOPICS.deadletter),
      STREAM_BATCH_MAX_MS: '300',
      GAPS_TOPIC: topic(TRADE_GAPS_TOPIC),
      API_STREAM_TRADES_TOPIC: topic(TOPICS.trades),
      API_STREAM_CANDLES_TOPIC: topic(TOPICS.candles),
      API_STREAM_ALERTS_TOPIC: topic(TOPICS.alerts),
      API_KEYS: API_KEY,
      API_HOST: '127.0.0.1',
      API_LAKE_REFRESH_MS: '300',
      // The recorded trades hold none worth $100k (2017 prices): the whale threshold is a setting.
      GOLD_WHALE_MIN_QUOTE: '10000',
    };
    cleanups.push(() => fs.rmSync(base.MARKETLAKE_STATE_DIR!, { recursive: true, force: true }));

    // ---- the services, as child processes ------------------------------------------------------
    const services: ServiceProcess[] = [];
    cleanups.push(async () => {
      for (const s of services.reverse()) await s.stop();
    });
    const start = async (name: string, args: string[], portVar: string, env: NodeJS.ProcessEnv = {}) => {
      const port = await freePort();
      const s = await startService(name, args, { ...base, ...env, [portVar]: String(port) }, port);
      services.push(s);
      return s;
    };
    const running = new Set<string>(['temporal']);
    const [stream, binance, coingecko, feargreed, news] = await Promise.all([
      start('stream', ['stream'], 'STREAM_METRICS_PORT'),
      start('producer binance', ['produce', 'binance'], 'PRODUCER_METRICS_PORT', { BINANCE_WS_BASE_URL: ws.url, BINANCE_REST_BASE_URL: fx.binance.url, BINANCE_SYMBOLS: 'TRXUSDT' }),
      start('producer coingecko', ['produce', 'coingecko'], 'PRODUCER_METRICS_PORT', { COINGECKO_BASE_URL: `${http.url}/api/v3` }),
      start('producer feargreed', ['produce', 'feargreed'], 'PRODUCER_METRICS_PORT', { FEARGREED_BASE_URL: http.url }),
      start('producer news', ['produce', 'news'], 'PRODUCER_METRICS_PORT', { NEWS_FEEDS: `coindesk=${http.url}/arc/outboundfeeds/rss/` }),
    ]);
    running.add('producer').add('stream');
    const worker = commandExists('worker') ? await start('worker', ['worker'], 'WORKER_METRICS_PORT') : undefined;
    if (worker) running.add('worker');
    const api = commandExists('api') ? await start('api', ['api'], 'API_PORT') : undefined;
    if (api) running.add('api');
    // The worker runs the quality and gold workflows once they are in its bundle.
    const bundle = fs.readFileSync(path.join(root, 'workflows', 'workflows.ts'), 'utf8');
    if (worker && bundle.includes('quality-checks/workflow')) running.add('qualityChecks workflow');
    if (worker && bundle.includes('gold-build/workflow')) running.add('goldBuild workflow');

    // ---- Prometheus, by the stack's own code ---------------------------------------------------
    const promPort = await freePort();
    const temporalPort = Number(temporalAddress().split(':').at(-1));
    const settings = {
      stateDir: base.MARKETLAKE_STATE_DIR!,
      prometheus: {
        port: promPort,
        scrapeInterval: '1s',
        scrapeTargets: {
          'marketlake-producer': [binance, coingecko, feargreed, news].map((s) => s.target),
          'marketlake-stream': [stream.target],
          'marketlake-worker': worker ? [worker.target] : [],
          'marketlake-api': api ? [api.target] : [],
          temporal: [`127.0.0.1:${temporalMetricsPort(temporalPort)}`],
        },
      },
    } as unknown as StackSettings;
    const prometheus = new PrometheusComponent(settings);
    await prometheus.start();
    cleanups.push(async () => void (await prometheus.stop()));
    const prom = prometheus.url;

    // ---- traffic --------------------------------------------------------------------------------
    // Live websocket trades (TRXUSDT, recorded 2025-03-04, µs times) with five trade ids missing: a gap the
    // producer reports (its REST repair has no TRXUSDT to fetch here, so it stays open), and a
    // frame that is not JSON.
    const conn = await ws.connection(1, 30_000);
    // Re-timed to end now (same spacing): the stream takes live trades up to a day old only.
    const recorded = trxTrades20250304().slice(0, 3000);
    const shift = Date.now() * 1000 - recorded.at(-1)!.time;
    const trx = recorded.map((t) => ({ ...t, time: t.time + shift }));
    await conn.sendAll([...trx.slice(0, 1500), ...trx.slice(1505)].map(tradeFrame));
    await conn.send('{"stream":"trxusdt@trade","data":{"e":"trade","p":');
    // A network drop: the producer counts the disconnect and reconnects.
    conn.drop();
    await ws.connection(2, 60_000);
    // A day of BTCUSDT trades replayed through Kafka into the stream (2017-08-17, 3,427 trades).
    const replay = await runCli(['replay', '--file', path.join(TRADES_2017_DIR, 'BTCUSDT-trades-2017-08-17.csv'), '--speed', 'max'], { ...base, PRODUCER_METRICS_PORT: String(await freePort()) });
    expect(replay.code, replay.output).toBe(0);
    // Messages the stream must dead-letter.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: topic(TOPICS.trades), messages: [{ key: 'binance:BTCUSDT', value: '{"v":1,"price":"oops"}' }, { key: 'x', value: 'not json' }] });
    await producer.disconnect();
    const engine = await LakeQueryEngine.open({ lake: base.LAKE_DIR! });
    cleanups.push(() => engine.close());
    let seen = '';
    await waitFor('the replayed and websocket trades in bronze', async () => {
      await engine.refresh();
      const rows = (await engine.query('SELECT symbol, count(*) AS n FROM bronze_trades GROUP BY symbol')).rows as { symbol: string; n: string }[];
      const n = Object.fromEntries(rows.map((r) => [r.symbol, Number(r.n)]));
      seen = JSON.stringify(n);
      return n.BTCUSDT === 3427 && n.TRXUSDT > 0 ? n : undefined;
    }, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}: bronze holds ${seen}\n${stream.output().slice(-2000)}\n${binance.output().slice(-2000)}`);
    });

    if (worker) {
      // A backfill that works (BTCUSDT, two days of 2024 from the local archive mirror), one of an
      // archive the mirror does not have, one whose archive is corrupt, one with an invalid input.
      const good = await fx.client.workflow.execute('backfill', { taskQueue: 'marketlake-backfill', workflowId: `obs-good-${randomUUID().slice(0, 6)}`, args: [{ symbols: ['BTCUSDT'], from: '2024-01-01', to: '2024-01-02', source: 'klines', mode: 'missing', dryRun: false, maxConcurrency: 2 }] });
      expect(good).toBeDefined();
      await fx.client.workflow.execute('backfill', { taskQueue: 'marketlake-backfill', workflowId: `obs-missing-${randomUUID().slice(0, 6)}`, args: [{ symbols: ['NOSUCHUSDT'], from: '2024-01-01', to: '2024-01-01', source: 'klines', mode: 'all', dryRun: false, maxConcurrency: 1 }] }).catch(() => undefined);
      // An archive whose .CHECKSUM does not match: its activity fails for good, its partition too.
      fx.binance.corruptChecksum('/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2017-08-17.zip');
      await fx.client.workflow.execute('backfill', { taskQueue: 'marketlake-backfill', workflowId: `obs-corrupt-${randomUUID().slice(0, 6)}`, args: [{ symbols: ['BTCUSDT'], from: '2017-08-17', to: '2017-08-17', source: 'klines', mode: 'all', dryRun: false, maxConcurrency: 1 }] }).catch(() => undefined);
      await fx.client.workflow.execute('backfill', { taskQueue: 'marketlake-backfill', workflowId: `obs-invalid-${randomUUID().slice(0, 6)}`, args: [{ symbols: ['BTCUSDT'], from: '2024-01-05', to: '2024-01-01', source: 'klines' }] }).catch(() => undefined);
    }

    // Without a worker, gold and quality as a user would run them by hand.
    if (!running.has('goldBuild workflow') && commandExists('transform')) {
      const gold = await runCli(['transform', 'run'], base);
      expect(gold.code, gold.output).toBe(0);
    }
    if (!running.has('qualityChecks workflow') && commandExists('quality')) await runCli(['quality', 'run'], base);

    if (worker) {
      // The schedules the worker ensured (gold build, quality checks, maintenance), triggered as
      // their clock would; wait for their runs.
      const schedules: string[] = [];
      for await (const s of fx.client.schedule.list()) schedules.push(s.scheduleId);
      for (const id of schedules) await fx.client.schedule.getHandle(id).trigger();
      await waitFor('the scheduled runs to finish', async () => {
        let open = 0;
        let done = 0;
        for await (const w of fx.client.workflow.list({ query: `WorkflowType != 'backfill'` })) {
          if (w.status.name === 'RUNNING') open += 1;
          else done += 1;
        }
        return open === 0 && done >= schedules.length ? done : undefined;
      }, 180_000);
      // The scheduled gold build may be blocked by the blocking quality checks (this lake mixes
      // backfilled days without trades and live symbols with gaps): gold is then built on demand,
      // as a user would, with blockingChecks false (its own input) and alerts to the private topic.
      await fx.client.workflow.execute('goldBuild', { taskQueue: 'marketlake', workflowId: `obs-gold-${randomUUID().slice(0, 6)}`, args: [{ blockingChecks: false, alertsTopic: topic(TOPICS.alerts) }] }).catch(() => undefined);
      // Maintenance asked for a table that does not exist: its activity attempts fail, the run says so.
      await fx.client.workflow.execute('maintenance', { taskQueue: 'marketlake', workflowId: `obs-maint-${randomUUID().slice(0, 6)}`, args: [{ scope: 'hourly', tables: ['bronze/no_such_table'] }] }).catch(() => undefined);
    }

    // ---- 2. every Infinity query, fetched as Grafana would -------------------------------------
    const boards: Dashboard[] = [...(await loadDashboards()).values()];
    const infinity: { where: string; url: string; problems: string[]; unproven?: string }[] = [];
    if (api) {
      // The boards' time range and variables are the user's: each query is tried over the ranges
      // the lake holds (the backfilled days of 2024, the replayed day of 2017, the last hour of
      // live trades) and both candle intervals the gold alerts use; it must answer with its
      // columns in at least one, and never with a wrong type.
      const day = 86_400_000;
      const jan2024 = Date.parse('2024-01-01T00:00:00Z');
      const aug2017 = Date.parse('2017-08-17T00:00:00Z');
      const windows = [[jan2024, jan2024 + 2 * day], [aug2017, aug2017 + day], [Date.now() - 3_600_000, Date.now() + 60_000]];
      const apiBase = `http://${api.target}`;
      for (const board of boards) {
        for (const { where, query } of infinityQueries(board)) {
          const tried: { url: string; problems: string[] }[] = [];
          for (const [from, to] of windows) {
            for (const interval of ['1m', '1h']) {
              const url = resolveUrl(query, apiBase, { symbol: 'BTCUSDT', interval, __from: String(from), __to: String(to) });
              if (tried.some((t) => t.url === url.slice(apiBase.length))) continue;
              const post = query.url_options.method === 'POST';
              const r = await fetch(url, { method: query.url_options.method, headers: { 'X-API-Key': API_KEY, ...(post ? { 'content-type': 'application/json' } : {}) }, body: post ? query.url_options.data : undefined });
              const body = r.ok ? await r.json() : await r.text();
              const rows = r.ok ? rowsAt(body, query.root_selector) : undefined;
              const problems = !r.ok ? [`HTTP ${r.status}: ${String(body).slice(0, 200)}`] : rows === undefined ? [`no array at ${query.root_selector}`] : columnProblems(rows, query.columns);
              tried.push({ url: url.slice(apiBase.length), problems });
            }
          }
          const answered = tried.find((t) => t.problems.length === 0);
          // No rows, or a column NULL throughout (an indicator not warm yet in a short range), is
          // absence of data in that range; anything else is a wrong answer.
          const absent = (p: string) => p === 'no rows' || p.endsWith('null in every row');
          const wrong = tried.filter((t) => t.problems.some((p) => !absent(p)));
          const needs = query.url.startsWith('/v1/quality') && !commandExists('quality') ? 'quality run (gold/quality_results), not on main yet' : undefined;
          infinity.push({
            where,
            url: (answered ?? tried[0]).url,
            problems: wrong.length > 0 ? wrong.flatMap((t) => t.problems.map((p) => `${t.url}: ${p}`)) : answered || needs ? [] : ['no rows in any range'],
            ...(needs && !answered ? { unproven: needs } : {}),
          });
        }
      }
      // And what a client gets wrong, for the API's error series.
      await fetch(`${apiBase}/v1/ohlc/BTCUSDT?interval=7m`, { headers: { 'X-API-Key': API_KEY } });
      await fetch(`${apiBase}/v1/nothing-here`, { headers: { 'X-API-Key': API_KEY } });
    }

    // ---- 1. every PromQL expression, against what Prometheus scraped ---------------------------
    // Every target scraped since the traffic, and a few more rule evaluations.
    const targets = [...services.map((s) => s.target), `127.0.0.1:${temporalMetricsPort(temporalPort)}`];
    await waitFor('every target up', async () => ((await promValue(prom, 'count(up{job=~"marketlake-.*|temporal"} == 1)')) === targets.length ? true : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 8_000));

    const results: { where: string; expr: string; run: string; sources: string[]; status: 'series' | 'no series' | 'error' | 'unproven'; series: number; note?: string }[] = [];
    for (const e of shippedExpressions(boards)) {
      const sources = [...sourcesOf(e.run)];
      const missing = sources.filter((s) => !running.has(s));
      if (missing.length > 0) {
        results.push({ ...e, sources, status: 'unproven', series: 0, note: `needs ${missing.join(', ')}, not on main yet` });
        continue;
      }
      const q = await promQuery(prom, e.run);
      results.push({ ...e, sources, status: !q.ok ? 'error' : q.series > 0 ? 'series' : 'no series', series: q.series, note: q.error });
    }

    const workerFailures = worker ? (await (await fetch(`http://${worker.target}/metrics`)).text()).split('\n').filter((l) => /failed|failure/.test(l) && !l.startsWith('#')) : [];
    const report = { services: [...running], promql: results, infinity, workerFailures };
    fs.mkdirSync(path.join(root, '.marketlake'), { recursive: true });
    fs.writeFileSync(path.join(root, '.marketlake', 'observability-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const unproven = results.filter((r) => r.status === 'unproven');
    console.log(`observability: ${results.filter((r) => r.status === 'series').length} expressions return series; ${unproven.length} unproven:\n${unproven.map((u) => `  ${u.where}: ${u.note}`).join('\n')}`);
    console.log(`infinity: ${infinity.filter((i) => i.problems.length === 0 && !i.unproven).length}/${infinity.length} queries answer with their columns; unproven: ${infinity.filter((i) => i.unproven).map((i) => `${i.where} (${i.unproven})`).join(', ') || 'none'}`);

    const failing = results.filter((r) => r.status === 'error' || r.status === 'no series');
    expect(failing.map((f) => `${f.where}: ${f.run} → ${f.status}${f.note ? ` (${f.note})` : ''}`)).toEqual([]);
    expect(results.filter((r) => r.status === 'series').length).toBeGreaterThan(40);
    if (api) {
      expect(infinity.length).toBeGreaterThan(10);
      expect(infinity.filter((i) => i.problems.length > 0).map((i) => `${i.where} ${i.url}: ${i.problems.join('; ')}`)).toEqual([]);
    }
  }, 900_000);
});
