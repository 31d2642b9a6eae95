/** The teardown's stray-process check finds an orphaned process of a run, and only that run's. */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TEST_RUN_MARKER, reapStrayProcesses, strayProcesses } from './stray-processes.ts';

describe.runIf(fs.existsSync('/proc/self/environ'))('stray processes of a test run', () => {
  it('finds an orphan carrying the run marker, kills it, and ignores other runs', async () => {
    const runId = randomUUID();
    // The shell exits at once; its `sleep` is orphaned (re-parented to init), as the tsx child was.
    const out = spawnSync('sh', ['-c', 'sleep 60 >/dev/null 2>&1 & echo $!'], { env: { ...process.env, [TEST_RUN_MARKER]: runId }, encoding: 'utf8' });
    const orphan = Number(out.stdout.trim());
    expect(orphan).toBeGreaterThan(0);
    try {
      expect(strayProcesses(runId).map((s) => s.pid)).toEqual([orphan]);
      expect(strayProcesses(randomUUID())).toEqual([]);
      const reaped = await reapStrayProcesses(runId, 300);
      expect(reaped.map((s) => s.pid)).toEqual([orphan]);
      expect(reaped[0].command).toMatch(/sleep 60/);
      for (let i = 0; i < 40 && strayProcesses(runId).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(strayProcesses(runId)).toEqual([]);
    } finally {
      try {
        process.kill(orphan, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
});
