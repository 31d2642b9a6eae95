/** `marketlake transform run|list|test`: build the gold models, show their graph, run their tests. */
import type { Command } from 'commander';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function date(flag: string) {
  return (v: string) => {
    if (!DATE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) throw new Error(`${flag} ${v}: expected a date YYYY-MM-DD`);
    return v;
  };
}

const collect = (v: string, acc: string[]) => [...acc, v];

export function registerTransformCommand(program: Command): void {
  const transform = program.command('transform').description('gold models (transforms/): build them incrementally, show their graph, run their tests');

  transform
    .command('run')
    .description('build the gold models whose inputs changed since they last ran (all of them with --full-refresh)')
    .option('-s, --select <models>', "models to run, dbt style: 'indicators', 'indicators+' (and downstream), '+alerts' (and upstream); repeatable or comma-separated", collect, [] as string[])
    .option('--from <date>', 'only partitions from this date (YYYY-MM-DD, inclusive)', date('--from'))
    .option('--to <date>', 'only partitions up to this date (YYYY-MM-DD, inclusive)', date('--to'))
    .option('--full-refresh', 'recompute every selected partition, whether its inputs changed or not')
    .action(async (opts: { select: string[]; from?: string; to?: string; fullRefresh?: boolean }) => {
      const { Lake } = await import('../../lake/index.ts');
      const { MODELS, runTransforms, formatRunSummary, goldConfigFromEnv } = await import('../../transforms/index.ts');
      if (opts.from && opts.to && opts.from > opts.to) throw new Error(`--from ${opts.from} is after --to ${opts.to}`);
      const summary = await runTransforms(Lake.fromEnv(), MODELS, {
        select: opts.select,
        from: opts.from,
        to: opts.to,
        fullRefresh: opts.fullRefresh,
        config: goldConfigFromEnv(),
        log: (m) => process.stderr.write(`${new Date().toISOString()} ${m}\n`),
      });
      process.stdout.write(`${formatRunSummary(summary)}\n`);
      if (!summary.ok) process.exitCode = 1;
    });

  transform
    .command('list')
    .description('the model graph: each model with its materialisation and inputs, in run order')
    .action(async () => {
      const { MODELS, ModelGraph, goldConfigFromEnv } = await import('../../transforms/index.ts');
      process.stdout.write(`${new ModelGraph(MODELS).describe(goldConfigFromEnv())}\n`);
    });

  transform
    .command('test')
    .description("run every model's tests over its whole gold table; non-zero exit when one fails")
    .option('-s, --select <models>', 'models to test (same syntax as run)', collect, [] as string[])
    .action(async (opts: { select: string[] }) => {
      const { Lake } = await import('../../lake/index.ts');
      const { MODELS, testModels } = await import('../../transforms/index.ts');
      const results = await testModels(Lake.fromEnv(), MODELS, opts.select);
      for (const r of results) {
        process.stdout.write(`${r.passed ? 'pass' : 'FAIL'}  ${r.model}.${r.test}${r.passed ? '' : `: ${r.failures} failing rows, e.g. ${JSON.stringify(r.sample[0])}`}\n`);
      }
      const failed = results.filter((r) => !r.passed).length;
      process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
      if (failed > 0) process.exitCode = 1;
    });
}
