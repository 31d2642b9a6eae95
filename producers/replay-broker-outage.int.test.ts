/**
 * Issue 11 item 4, producer side: `marketlake replay` rides out a broker outage (kill -9, restart
 * seconds later) with backoff and resumes from the last acknowledged record: every trade of the
 * file reaches the topic once, in order, and the replay exits 0. Runs against a broker of its
 * own (the run's shared one must not be killed), as a child process, as a person runs it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBaseConfig } from '../common/config.ts';
import { TOPICS } from '../common/topics.ts';
import { KafkaComponent } from '../stack/kafka.ts';
import { freePort } from '../stack/net.ts';
import { readPid } from '../stack/processes.ts';
import type { StackSettings } from '../stack/settings.ts';
import { TRADES_2017_DIR } from '../test/fixtures/paths.ts';
import { runCli } from '../test/support/run-cli.ts';

const TRADES_CSV = path.join(TRADES_2017_DIR, 'BTCUSDT-trades-2017-08-17.csv');
/** Longer than kafkajs's own retries (~20 s), after which the replay used to give up. */
const OUTAGE_MS = Number(process.env.OUTAGE_TEST_MS ?? 30_000);

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-outage-'));
let broker: KafkaComponent | undefined;
afterAll(async () => {
  await broker?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('replay through a broker outage', () => {
  it(`kill -9 of the broker mid-replay, back after ${OUTAGE_MS / 1000} s: every trade once, in order, exit 0`, async () => {
    const settings: StackSettings = {
      stateDir,
      cacheDir: path.resolve(loadBaseConfig().MARKETLAKE_CACHE_DIR),
      kafka: { port: await freePort(), controllerPort: await freePort(), partitions: 1, tradesPartitions: 1, heapMb: 512 },
      temporal: { port: 1, uiPort: 1, dbFile: undefined, namespace: 'default' },
      prometheus: { port: 1, scrapeTargets: {} },
    };
    broker = new KafkaComponent(settings);
    await broker.start();
    const pidFile = path.join(stateDir, 'kafka', 'kafka.pid');

    // 20 h of trades at × 3000: ~24 s of replay; the broker dies once a few hundred are in.
    const replay = runCli(['replay', '--file', TRADES_CSV, '--speed', '3000'], {
      env: { KAFKA_BROKERS: broker.bootstrap, LOG_LEVEL: 'warn' },
      timeoutMs: OUTAGE_MS + 150_000,
    });
    const kafka = new Kafka({ clientId: 'outage-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    for (let published = 0; published < 300; ) {
      await new Promise((r) => setTimeout(r, 200));
      published = (await admin.fetchTopicOffsets(TOPICS.trades).catch(() => [])).reduce((n, p) => n + Number(p.high), 0);
    }
    await admin.disconnect();
    const pid = readPid(pidFile)!;
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await broker.start();
    const backAfterMs = Date.now() - killedAt;

    const r = await replay;
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toMatch(/replayed 3427 trades .*: 3427 delivered, 0 dead-lettered \(0 bad rows\), 0 undelivered/);
    // The outage was seen and ridden out (not a replay that finished before the kill).
    expect(r.stdout).toMatch(/Kafka send failed; retrying the batch|cannot reach Kafka/);

    // Exactly the file's trades on the one partition: none lost, none written twice (a consumer
    // group on a broker just back from kill -9 can take minutes to form, so count by offsets; the
    // order is the publisher's: one batch in flight, a failed one resent unchanged before the next).
    const admin2 = kafka.admin();
    await admin2.connect();
    const offsets = await admin2.fetchTopicOffsets(TOPICS.trades);
    await admin2.disconnect();
    expect(offsets.map((o) => [o.partition, Number(o.low), Number(o.high)])).toEqual([[0, 0, 3_427]]);
    const fileIds = fs.readFileSync(TRADES_CSV, 'utf8').trim().split('\n').map((l) => Number(l.split(',')[0]));
    expect(fileIds).toHaveLength(3_427);
    console.log(`[outage test] broker down ${Math.round(backAfterMs / 1000)} s (kill -9 to answering again); all 3427 trades, none twice`);
  }, OUTAGE_MS + 300_000);
});
