/**
 * A full disk loses nothing and doubles nothing. The lake lives on a small tmpfs; after the first
 * trades are in, a ballast file takes every free byte, and more trades arrive: the stream's writes
 * fail with ENOSPC. The stream stops at once with one line naming the full disk (fail-stop: its
 * supervisor, compose's `restart: unless-stopped` or systemd, starts it again and it resumes from
 * the lake). Nothing half-written may become visible (the lake stays readable and holds what it
 * held), and no Kafka offset may be committed past what is durable. Once space is freed, the
 * restarted stream catches up: every trade in bronze once, silver equal to the recomputation from
 * bronze.
 *
 * Needs to mount a tmpfs (root, as CI and the dev machine run); elsewhere the test is skipped and
 * says why.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../stack/net.ts';
import { kafkaBrokers, testKafka } from '../../test/infra.ts';
import { streamTestTopics } from '../../test/support/streaming/topics.ts';
import { startStreamProcess, type StreamProcess } from '../../test/support/streaming/child-stream.ts';
import { bronzeCounts, lakeOutcome } from '../../test/support/streaming/silver-check.ts';
import { disorderedTrades, publishTrades } from '../../test/support/streaming/trade-stream.ts';
import { waitForBronzeToCover } from '../../test/support/streaming/wait.ts';
import { Lake, LakeQueryEngine } from '../../lake/index.ts';

const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-stream-diskfull-'));
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    return true;
  } catch (err) {
    console.warn(`[disk-full] cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}): the test is skipped`);
    return false;
  }
})();
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  fs.rmSync(mountPoint, { recursive: true, force: true });
});

/** Takes every free byte of the filesystem holding `dir`. */
function fillDisk(dir: string): string {
  const ballast = path.join(dir, 'ballast');
  const fd = fs.openSync(ballast, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  // The last partial block.
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(512, 1));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return ballast;
}

describe('marketlake stream: the lake disk fills up', () => {
  it.runIf(mounted)('ENOSPC while trades arrive: nothing half-written is visible, nothing is committed past the lake, and after space is freed every trade lands once', async () => {
    const kafka = testKafka();
    const topics = await streamTestTopics(kafka, 'diskfull', 2);
    const lakeDir = path.join(mountPoint, 'lake');
    fs.mkdirSync(lakeDir);
    const group = `diskfull-${path.basename(mountPoint)}`;
    const stream = disorderedTrades({ count: 30_000, fromUs: Date.UTC(2024, 11, 1) * 1000, spanMs: 60 * 60_000, seed: 9, symbols: ['BTCUSDT', 'ETHUSDT'] });
    const first = stream.messages.slice(0, 10_000);
    const start = async () => startStreamProcess({ lakeDir, group, brokers: kafkaBrokers(), topics, port: await freePort() });
    let proc: StreamProcess = await start();
    const procs: StreamProcess[] = [proc];
    try {
      await publishTrades(kafka, topics.trades, first, { perSecond: 10_000 });
      await waitForBronzeToCover(kafka, lakeDir, group, topics.trades, 120_000);
      const engine = await LakeQueryEngine.open({ lake: new Lake(lakeDir) });
      const beforeFull = await bronzeCounts(engine);
      expect(beforeFull.rows).toBe(beforeFull.distinct);

      const ballast = fillDisk(mountPoint);
      const linesBefore = proc.lines.length;
      await publishTrades(kafka, topics.trades, stream.messages.slice(10_000), { perSecond: 10_000 });
      // Let the stream try (and fail) to flush for a while.
      await new Promise((r) => setTimeout(r, 8_000));
      const during = proc.lines.slice(linesBefore).filter((l) => /ENOSPC|No space left on device/.test(l));
      console.log(`[disk-full] ${during.length} log lines name ENOSPC while full; the process ${proc.child.exitCode === null ? 'kept running' : `exited ${proc.child.exitCode}`}`);
      expect(during.length).toBeGreaterThan(0);
      expect(await proc.exited).toBe(1);
      // The lake still answers, with what it held or more (never a half-written file).
      const whileFull = await bronzeCounts(engine);
      expect(whileFull.rows).toBe(whileFull.distinct);
      expect(whileFull.rows).toBeGreaterThanOrEqual(beforeFull.rows);
      engine.close();

      fs.rmSync(ballast);
      proc = await start();
      procs.push(proc);
      await waitForBronzeToCover(kafka, lakeDir, group, topics.trades, 180_000);
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
    const outcome = await lakeOutcome(lakeDir);
    expect(outcome.bronze).toEqual({ rows: stream.unique, distinct: stream.unique });
    expect(outcome.silver.mismatches).toEqual([]);
  }, 300_000);
});
