/**
 * ACID under concurrency, with real separate processes: two writers appending at once, a reader
 * querying in a loop while a writer appends and optimize and vacuum run, and a writer killed
 * with SIGKILL between writing its data file and writing its log entry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Lake } from './lake.ts';
import { optimize } from './maintenance/optimize.ts';
import { vacuum } from './maintenance/vacuum.ts';
import { LakeQueryEngine } from './query/engine.ts';
import { DeltaTable } from './table.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';

afterAll(removeTmpDirs);

const here = path.dirname(fileURLToPath(import.meta.url));
const worker = path.join(here, '..', 'test', 'support', 'lake', 'append-worker.ts');
// bin/run-ts.js loads tsx into the same node process: the PID we kill is the worker itself.
// (node_modules/.bin/tsx is a wrapper that spawns node as its child; SIGKILL of the wrapper
// left that child running after every test run.)
const runTs = path.join(here, '..', 'bin', 'run-ts.js');

function startWorker(...args: string[]): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(process.execPath, [runTs, worker, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<string>((resolve, reject) => {
    child.on('exit', (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`worker exited ${code ?? signal}: ${err}`))));
  });
  return { child, done };
}

function filesOnDisk(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === '_delta_log') continue;
      if (e.isDirectory()) walk(path.join(d, e.name), rel ? `${rel}/${e.name}` : e.name);
      else out.push(rel ? `${rel}/${e.name}` : e.name);
    }
  };
  walk(dir, '');
  return out.sort();
}

describe('lake concurrency', () => {
  it('two processes appending to one table at once: both commits land, no file lost', async () => {
    const lake = new Lake(tmpLakeDir());
    const table = await lake.table('bronze/trades');
    const batches = 12;
    const size = 50;
    const a = startWorker('append', table.dir, '1', String(batches), String(size), 'BTCUSDT');
    const b = startWorker('append', table.dir, '100001', String(batches), String(size), 'BTCUSDT');
    const [outA, outB] = await Promise.all([a.done, b.done]);
    const versions = [...outA.trim().split('\n'), ...outB.trim().split('\n')].map(Number);
    expect(new Set(versions).size).toBe(2 * batches);
    const snap = await table.refresh();
    expect(snap.version).toBe(2 * batches);
    expect(snap.numRecords()).toBe(2 * batches * size);
    // every file on disk is in the snapshot and vice versa (no lost, no orphan)
    expect(filesOnDisk(table.dir)).toEqual([...snap.files.keys()].sort());
    const engine = await LakeQueryEngine.open({ lake });
    try {
      const { rows } = await engine.query(`SELECT count(*) AS n, count(DISTINCT trade_id) AS d FROM bronze_trades`);
      expect(rows[0]).toEqual({ n: String(2 * batches * size), d: String(2 * batches * size) });
    } finally {
      engine.close();
    }
  });

  it('a reader querying in a loop during appends, optimize and vacuum always sees whole snapshots', async () => {
    const lake = new Lake(tmpLakeDir());
    const table = await lake.table('bronze/trades');
    const size = 40;
    const writer = startWorker('append', table.dir, '1', '40', String(size), 'BTCUSDT');
    let writing = true;
    writer.done.finally(() => (writing = false)).catch(() => undefined);

    const engine = await LakeQueryEngine.open({ lake });
    const seenVersions = new Set<number>();
    let optimizeCommits = 0;
    let vacuumed = 0;
    const maintenance = (async () => {
      const t0 = Date.now();
      while (writing || Date.now() - t0 < 4000) {
        const o = await optimize(table, { minFiles: 3 });
        if (o.version !== undefined) optimizeCommits += 1;
        vacuumed += (await vacuum(table, { retentionHours: 1 / 3600 })).deleted.length;
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    let queries = 0;
    try {
      while (writing || queries < 5) {
        await engine.refresh();
        const version = engine.viewVersions().bronze_trades;
        const { rows } = await engine.query(`SELECT count(*) AS n, count(DISTINCT trade_id) AS d, min(trade_id) AS lo, max(trade_id) AS hi FROM bronze_trades`);
        const { n, d, lo, hi } = rows[0] as Record<string, string | null>;
        queries += 1;
        seenVersions.add(version);
        // trade ids 1..k*size, appended in order: a whole snapshot has no gap and no duplicate
        expect(n).toBe(d);
        if (Number(n) > 0) {
          expect(lo).toBe('1');
          expect(Number(hi)).toBe(Number(n));
          expect(Number(n) % size).toBe(0);
        }
      }
      await writer.done;
      await maintenance;
    } finally {
      engine.close();
    }
    const final = await table.refresh();
    expect(final.numRecords()).toBe(40 * size);
    expect(seenVersions.size).toBeGreaterThan(3);
    expect(optimizeCommits).toBeGreaterThan(0);
    expect(vacuumed).toBeGreaterThan(0);
    expect(filesOnDisk(table.dir).length).toBeGreaterThanOrEqual(final.files.size);
  }, 120_000);

  it('a writer killed between its data file and its log entry leaves the table consistent; vacuum removes the orphan', async () => {
    const lake = new Lake(tmpLakeDir());
    const table = await lake.table('bronze/trades');
    await table.append((await import('../test/support/lake/synthetic-trades.ts')).syntheticTrades({ count: 30 }));
    const before = await table.refresh();
    const w = startWorker('write-then-hang', table.dir, '5000', '20');
    const orphans = await new Promise<string[]>((resolve, reject) => {
      let buf = '';
      w.child.stdout!.on('data', (d) => {
        buf += d;
        const m = /written (.*)\n/.exec(buf);
        if (m) resolve(m[1].split(' '));
      });
      w.done.catch(reject);
    });
    w.child.kill('SIGKILL');
    await w.done.catch(() => undefined);
    expect(orphans.length).toBeGreaterThan(0);
    for (const o of orphans) expect(fs.existsSync(path.join(table.dir, o))).toBe(true);

    const reopened = await DeltaTable.open(table.dir);
    expect(reopened.version).toBe(before.version);
    expect(reopened.snapshot().numRecords()).toBe(30);
    const engine = await LakeQueryEngine.open({ lake });
    try {
      expect((await engine.query('SELECT count(*) AS n FROM bronze_trades')).rows[0].n).toBe('30');
    } finally {
      engine.close();
    }
    // default retention keeps the young orphan; a zero retention removes exactly the orphans
    expect((await vacuum(reopened)).deleted).toEqual([]);
    const v = await vacuum(reopened, { retentionHours: 0 });
    expect(v.deleted.sort()).toEqual([...orphans].sort());
    for (const o of orphans) expect(fs.existsSync(path.join(table.dir, o))).toBe(false);
    expect(filesOnDisk(table.dir)).toEqual([...reopened.snapshot().files.keys()].sort());
    // and the table keeps working
    await reopened.append((await import('../test/support/lake/synthetic-trades.ts')).syntheticTrades({ count: 5, firstTradeId: 900 }));
    expect((await reopened.refresh()).numRecords()).toBe(35);
  });
});
