/**
 * `marketlake backfill` as a person runs it (node bin/marketlake.js): --local --dry-run prints the
 * plan and writes nothing; --local writes the day; against Temporal: --detach prints the id,
 * `status <id>` reports the result, bad input exits 1 naming the field.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/run-cli.ts';
import { workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';

let fx: WorkflowsFixture;
const DAY = ['--symbols', 'BTCUSDT', '--from', '2017-08-17', '--to', '2017-08-17', '--source', 'trades'];

beforeAll(async () => {
  fx = await workflowsFixture('backfill-cmd');
}, 120_000);
afterAll(async () => fx?.cleanup());

describe('marketlake backfill', () => {
  it('--local --dry-run prints the plan and writes nothing; --local writes the day', async () => {
    const dry = await runCli(['backfill', ...DAY, '--local', '--dry-run'], { env: fx.env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('dry run: nothing written');
    expect(dry.stdout).toContain(`${fx.binance.url}/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2017-08-17.zip`);
    expect(fs.existsSync(`${fx.lakeDir}/silver/candles`)).toBe(false);

    const local = await runCli(['backfill', ...DAY, '--local', '--json'], { env: fx.env, timeoutMs: 120_000 });
    expect(local.code, local.stderr).toBe(0);
    const result = JSON.parse(local.stdout) as { progress: { partitions: { done: number } }; failed: unknown[] };
    expect(result.progress.partitions.done).toBe(1);
    expect(result.failed).toEqual([]);
  }, 180_000);

  it('--detach prints the workflow id; status <id> reports the result; bad input exits 1 naming the field', async () => {
    const started = await runCli(['backfill', ...DAY, '--mode', 'all', '--detach', '--id', 'cli-detach-1'], { env: fx.env });
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout.trim()).toBe('cli-detach-1');
    expect(started.stderr).toContain(`/namespaces/${fx.namespace}/workflows/cli-detach-1`);
    await fx.client.workflow.getHandle('cli-detach-1').result();
    const status = await runCli(['backfill', 'status', 'cli-detach-1'], { env: fx.env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/1 done/);

    const bad = await runCli(['backfill', '--symbols', 'BTCUSDT', '--from', '2017-08-18', '--to', '2017-08-17'], { env: fx.env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('from:');
  }, 180_000);
});
