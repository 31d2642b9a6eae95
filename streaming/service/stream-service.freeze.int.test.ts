/**
 * A frozen instance (a stop-the-world pause, a VM stalled, `kill -STOP`) must not land stale work
 * when it wakes. Two `marketlake stream` processes share a group; one is frozen with SIGSTOP while
 * trades keep coming. Its session expires, the other takes its partitions over and claims them in
 * the lake. When the frozen one wakes (SIGCONT) it still holds a batch read before the freeze and
 * believes it owns those partitions: the lake's transaction fencing must refuse what it tries to
 * commit, and it must rejoin and go on. In the end every trade is in bronze once and silver equals
 * the recomputation from bronze.
 *
 * The freeze lasts STREAM_FREEZE_TEST_MS (20 s by default, several times the 6 s session timeout;
 * run once with 45000 for the figure in the notes).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../stack/net.ts';
import { kafkaBrokers, testKafka } from '../../test/infra.ts';
import { streamTestTopics } from '../../test/support/streaming/topics.ts';
import { startStreamProcess, type StreamProcess } from '../../test/support/streaming/child-stream.ts';
import { lakeOutcome } from '../../test/support/streaming/silver-check.ts';
import { disorderedTrades, publishTrades } from '../../test/support/streaming/trade-stream.ts';
import { waitForBronzeToCover, waitForValue } from '../../test/support/streaming/wait.ts';

const FREEZE_MS = Number(process.env.STREAM_FREEZE_TEST_MS ?? 20_000);

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** The trades partitions of a process's latest group assignment (its "partitions assigned" log line). */
function assignedPartitions(p: StreamProcess, topic: string): number[] | undefined {
  let last: number[] | undefined;
  for (const line of p.lines) {
    if (!line.includes('partitions assigned')) continue;
    last = (JSON.parse(line) as { assignment: Record<string, number[]> }).assignment[topic] ?? [];
  }
  return last;
}

describe('marketlake stream: an instance frozen past its session', () => {
  it(`SIGSTOP for ${FREEZE_MS / 1000} s while trades flow: the other instance takes over, the woken one lands nothing stale, exactly once`, async () => {
    const kafka = testKafka();
    const topics = await streamTestTopics(kafka, 'freeze', 4);
    const lakeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-stream-freeze-'));
    dirs.push(lakeDir);
    const group = `freeze-${path.basename(lakeDir)}`;
    // Trades keep coming during the whole freeze and after it.
    const spanS = Math.ceil(FREEZE_MS / 1000) + 25;
    const stream = disorderedTrades({ count: spanS * 1_000, fromUs: Date.UTC(2024, 10, 1) * 1000, spanMs: 90 * 60_000, seed: 5, symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT'] });
    const start = async () => startStreamProcess({ lakeDir, group, brokers: kafkaBrokers(), topics, port: await freePort() });
    const frozen = await start();
    const other = await start();
    let publishing: Promise<void> | undefined;
    try {
      const owns = (p: StreamProcess) => (assignedPartitions(p, topics.trades)?.length ?? 0) > 0;
      await waitForValue('both instances to own partitions', async () => (owns(frozen) && owns(other) ? true : undefined), 90_000);
      publishing = publishTrades(kafka, topics.trades, stream.messages, { perSecond: 1_000 });
      await new Promise((r) => setTimeout(r, 4_000));
      const before = assignedPartitions(frozen, topics.trades)!;
      const linesBeforeFreeze = frozen.lines.length;
      frozen.child.kill('SIGSTOP');
      const frozenAt = Date.now();
      // The other instance takes the frozen one's partitions over while it sleeps.
      const takenOver = await waitForValue(
        "the other instance to take the frozen one's partitions",
        async () => {
          const mine = assignedPartitions(other, topics.trades) ?? [];
          return before.every((p) => mine.includes(p)) ? Date.now() - frozenAt : undefined;
        },
        FREEZE_MS,
      );
      console.log(`[freeze] partitions ${before.join(',')} taken over ${(takenOver / 1000).toFixed(1)} s after the freeze`);
      await new Promise((r) => setTimeout(r, Math.max(0, FREEZE_MS - (Date.now() - frozenAt))));
      frozen.child.kill('SIGCONT');
      await publishing;
      await waitForBronzeToCover(kafka, lakeDir, group, topics.trades, 180_000);
      await new Promise((r) => setTimeout(r, 2_000));
      const afterWaking = frozen.lines.slice(linesBeforeFreeze).map((l) => JSON.parse(l) as { msg: string });
      console.log(`[freeze] the woken instance logged: ${[...new Set(afterWaking.map((l) => l.msg))].join(' | ')}`);
      // The woken instance rejoined rather than dying or hanging.
      expect(afterWaking.some((l) => l.msg === 'partitions assigned')).toBe(true);
      expect(frozen.child.exitCode).toBeNull();
    } finally {
      frozen.child.kill('SIGCONT');
      await Promise.all([frozen.stop(), other.stop()]);
    }
    const outcome = await lakeOutcome(lakeDir);
    expect(outcome.bronze).toEqual({ rows: stream.unique, distinct: stream.unique });
    expect(outcome.silver.mismatches).toEqual([]);
    expect(outcome.silver.compared).toBeGreaterThan(4 * 60);
  }, 300_000);
});
