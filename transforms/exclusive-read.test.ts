/**
 * Model.exclusiveRead: in a full refresh, no other model builds while such a model reads its
 * inputs (until it calls `ctx.inputRead()`), so that the read has the cores; the others build
 * then, beside its computation, even one that holds Node's thread.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Lake, type TableDefinition } from '../lake/index.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { runTransforms, type Model } from './index.ts';

afterAll(() => removeTmpDirs());

const table = (name: string): TableDefinition => ({ name: `gold/${name}`, description: 'test', columns: [{ name: 'x', type: 'long', nullable: false }], partitionColumns: [] });

/** `reader` reads for `readMs` (exclusively when asked), then computes; `other` records when it starts. */
function models(exclusiveRead: boolean, events: string[]): Model[] {
  const reader: Model = {
    name: 'reader',
    description: 'reads, then computes',
    inputs: [],
    output: table('reader'),
    materialization: 'full',
    lookbackDays: 0,
    exclusiveRead,
    tests: [],
    async build(ctx, into) {
      events.push('reader starts');
      await new Promise((r) => setTimeout(r, 300));
      events.push('reader has read');
      await ctx.inputRead();
      // A TypeScript computation: Node's thread is busy, nothing else of the run's JavaScript runs.
      const until = Date.now() + 300;
      while (Date.now() < until);
      events.push('reader computed');
      await ctx.conn.run(`CREATE OR REPLACE TABLE ${into} AS SELECT 1::BIGINT AS x`);
    },
  };
  const other: Model = {
    name: 'other',
    description: 'independent of reader',
    inputs: [],
    output: table('other'),
    materialization: 'full',
    lookbackDays: 0,
    tests: [],
    async build(ctx, into) {
      events.push('other starts');
      await ctx.conn.run(`CREATE OR REPLACE TABLE ${into} AS SELECT 2::BIGINT AS x`);
      events.push('other built');
    },
  };
  return [reader, other];
}

describe('exclusive reads', () => {
  it('in a full refresh, the other models build once the exclusive reader has read its inputs, beside its computation', async () => {
    const events: string[] = [];
    const run = await runTransforms(new Lake(tmpLakeDir('exclusive-')), models(true, events), { fullRefresh: true });
    expect(run.ok).toBe(true);
    // (Their builds were issued before the computation took Node's thread: they ran meanwhile.)
    expect(events.slice(0, 3)).toEqual(['reader starts', 'reader has read', 'other starts']);
    expect(events.indexOf('other starts')).toBeLessThan(events.indexOf('reader computed'));
    expect(events).toContain('other built');
  });

  it('without it the other models start at once', async () => {
    const events: string[] = [];
    expect((await runTransforms(new Lake(tmpLakeDir('shared-')), models(false, events), { fullRefresh: true })).ok).toBe(true);
    expect(events.indexOf('other starts')).toBeLessThan(events.indexOf('reader has read'));
  });
});
