/**
 * The dependency rules (.dependency-cruiser.cjs and .ci/workflow-sandbox.mjs, run by `npm run deps`)
 * hold on the real tree and catch what they exist for: each violation is planted in a small tree
 * of the same layout in a temporary directory, checked with the same config, and must fail with
 * its rule's name; the same tree without the plant passes.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const depcruise = path.join(repo, 'node_modules', '.bin', 'depcruise');
const config = path.join(repo, '.dependency-cruiser.cjs');
const sandboxCheck = path.join(repo, '.ci', 'workflow-sandbox.mjs');

interface Outcome {
  readonly ok: boolean;
  readonly output: string;
}

async function check(cmd: string, args: string[], cwd: string): Promise<Outcome> {
  try {
    const r = await run(cmd, args, { cwd, maxBuffer: 16 << 20 });
    return { ok: true, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err; // the tool did not run at all
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const cruise = (dir: string) => check(depcruise, ['--config', config, '.'], dir);
const sandbox = (dir: string) => check(process.execPath, [sandboxCheck, dir], dir);

const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A small tree with the project's layout that obeys every rule, plus the given files. */
function tree(plant: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marketlake-deps-'));
  made.push(dir);
  const files: Record<string, string> = {
    'common/decimal.ts': `export const scale = 8;\n`,
    'common/events/index.ts': `export * from './trade.ts';\n`,
    'common/events/trade.ts': `import { scale } from '../decimal.ts';\nexport const tradeScale = scale;\n`,
    'lake/index.ts': `export { table } from './table.ts';\n`,
    'lake/table.ts': `import { tradeScale } from '../common/events/index.ts';\nexport const table = tradeScale;\n`,
    'lake/table.test.ts': `import { table } from './table.ts';\nimport { tmp } from '../test/support/lake/tmp.ts';\nexport const t = [table, tmp];\n`,
    'test/support/lake/tmp.ts': `import { table } from '../../../lake/table.ts';\nexport const tmp = table;\n`,
    'streaming/index.ts': `import { table } from '../lake/index.ts';\nexport const stream = table;\n`,
    'workflows/index.ts': `export * from './workflows.ts';\n`,
    'workflows/workflows.ts': `export * from './demo/workflow.ts';\n`,
    'workflows/demo/activities.ts': `import fs from 'node:fs';\nexport function createDemoActivities() { return { exists: async (p: string) => fs.existsSync(p) }; }\nexport type DemoActivities = ReturnType<typeof createDemoActivities>;\n`,
    'workflows/demo/workflow.ts': `import type { DemoActivities } from './activities.ts';\nexport async function demo(a: DemoActivities): Promise<boolean> { return a.exists('x'); }\n`,
    'cli/main.ts': `import { stream } from '../streaming/index.ts';\nimport { table } from '../lake/index.ts';\nexport const main = [stream, table];\n`,
    ...plant,
  };
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe('dependency rules', () => {
  it('the real tree passes them, with no circles', async () => {
    const r = await cruise(repo);
    expect(r.output).toContain('no dependency violations found');
    expect(r.ok).toBe(true);
    const s = await sandbox(repo);
    expect(s.ok, s.output).toBe(true);
  });

  it('a tree that keeps them passes', async () => {
    const dir = tree();
    const r = await cruise(dir);
    expect(r.ok, r.output).toBe(true);
    expect((await sandbox(dir)).ok).toBe(true);
  });

  it('an upward import fails', async () => {
    const r = await cruise(tree({ 'common/up.ts': `import { table } from '../lake/index.ts';\nexport const up = table;\n` }));
    expect(r.ok).toBe(false);
    expect(r.output).toContain('floor-common-imports-no-higher-floor: common/up.ts → lake/index.ts');
  });

  it('an import between siblings of one floor fails (outside tests)', async () => {
    const r = await cruise(tree({ 'producers/index.ts': `import { stream } from '../streaming/index.ts';\nexport const p = stream;\n` }));
    expect(r.ok).toBe(false);
    expect(r.output).toContain('floor-producers-imports-no-sibling: producers/index.ts → streaming/index.ts');
  });

  it('a circle fails', async () => {
    const r = await cruise(
      tree({
        'lake/a.ts': `import { b } from './b.ts';\nexport const a = () => b;\n`,
        'lake/b.ts': `import { a } from './a.ts';\nexport const b = () => a;\n`,
      }),
    );
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/no-circular: lake\/(a|b)\.ts/);
  });

  it("reaching into a folder's internals around its index.ts fails", async () => {
    const r = await cruise(tree({ 'cli/sql.ts': `import { table } from '../lake/table.ts';\nexport const sql = table;\n` }));
    expect(r.ok).toBe(false);
    expect(r.output).toContain('front-door-lake: cli/sql.ts → lake/table.ts');
  });

  it("another folder's test support reaching into the lake fails; the lake's own may", async () => {
    const r = await cruise(tree({ 'test/support/streaming/x.ts': `import { table } from '../../../lake/table.ts';\nexport const x = table;\n` }));
    expect(r.ok).toBe(false);
    expect(r.output).toContain('front-door-lake: test/support/streaming/x.ts → lake/table.ts');
  });

  it('production code importing test support fails', async () => {
    const r = await cruise(tree({ 'streaming/service.ts': `import { tmp } from '../test/support/lake/tmp.ts';\nexport const s = tmp;\n` }));
    expect(r.ok).toBe(false);
    expect(r.output).toContain('production-imports-no-test-code: streaming/service.ts → test/support/lake/tmp.ts');
  });

  it('a Node built-in in a workflow file fails', async () => {
    const r = await cruise(tree({ 'workflows/demo/workflow.ts': `import fs from 'node:fs';\nexport async function demo(): Promise<boolean> { return fs.existsSync('x'); }\n` }));
    expect(r.ok).toBe(false);
    expect(r.output).toContain('workflow-sandbox-no-node-builtins: workflows/demo/workflow.ts → fs');
  });

  it('activities imported as a value by a workflow, even through a helper, fail', async () => {
    const direct = await sandbox(tree({ 'workflows/demo/workflow.ts': `import { createDemoActivities } from './activities.ts';\nexport const demo = createDemoActivities;\n` }));
    expect(direct.ok).toBe(false);
    expect(direct.output).toContain('workflows/demo/workflow.ts → workflows/demo/activities.ts: activities are imported as a value');
    const viaHelper = await sandbox(
      tree({
        'workflows/demo/helper.ts': `import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n`,
        'workflows/demo/workflow.ts': `import type { DemoActivities } from './activities.ts';\nimport { read } from './helper.ts';\nexport const demo = (a: DemoActivities) => [a, read];\n`,
      }),
    );
    expect(viaHelper.ok).toBe(false);
    expect(viaHelper.output).toContain('workflows/workflows.ts → workflows/demo/workflow.ts → workflows/demo/helper.ts → node:fs');
  });
});
