/** `marketlake quality run [--check NAME]` and `marketlake quality list`: the data-quality checks (transforms/checks). */
import type { Command } from 'commander';

const collect = (v: string, acc: string[]) => [...acc, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

const fmt = (v: number | null) => (v === null ? '' : Number.isInteger(v) ? String(v) : v.toFixed(2));

export function registerQualityCommand(program: Command): void {
  const quality = program.command('quality').description('data-quality checks over the lake: freshness, volume, schema, uniqueness, validity, consistency, completeness, cross-source');

  quality
    .command('run')
    .description('run the checks (all enabled ones, or --check), record results in gold/quality_results and gold/quality_failures, print a table; exit 1 when an error-severity check fails')
    .option('-c, --check <name>', 'only this check (repeatable or comma-separated; see `marketlake quality list`)', collect, [] as string[])
    .option('--now <time>', 'judge the lake as of this time (ISO or epoch ms) instead of the clock: freshness and every "last N hours"')
    .option('--no-record', 'do not write the results to the gold tables')
    .option('-f, --format <format>', 'table | json', 'table')
    .action(async (opts: { check: string[]; now?: string; record: boolean; format: string }) => {
      if (!['table', 'json'].includes(opts.format)) throw new Error(`--format must be table or json, not ${opts.format}`);
      let nowUs: number | undefined;
      if (opts.now !== undefined) {
        const ms = /^\d+$/.test(opts.now) ? Number(opts.now) : Date.parse(opts.now);
        if (!Number.isFinite(ms)) throw new Error(`--now ${opts.now}: expected an ISO time or epoch milliseconds`);
        nowUs = ms * 1000;
      }
      const { Lake } = await import('../../lake/index.ts');
      const { ALL_CHECKS, isErrorFailure, qualityConfigFromEnv, runQuality } = await import('../../transforms/index.ts');
      const config = qualityConfigFromEnv(ALL_CHECKS);
      const run = await runQuality({
        lake: Lake.fromEnv(),
        config,
        only: opts.check,
        nowUs,
        record: opts.record,
        onResult: (r, i, n) => process.stderr.write(`[${i}/${n}] ${r.check}: ${r.status} (${r.durationMs} ms)\n`),
      });
      if (opts.format === 'json') process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
      else {
        const rows = [['check', 'table', 'severity', 'blocking', 'status', 'observed', 'threshold', 'failing_rows', 'ms']];
        for (const r of run.results) rows.push([r.check, r.table, r.severity, r.blocking ? 'yes' : 'no', r.status, fmt(r.observed), fmt(r.threshold), String(r.failingRows), String(r.durationMs)]);
        process.stdout.write(`${pad(rows)}\n`);
        for (const r of run.results.filter((x) => x.status === 'error')) process.stdout.write(`${r.check} could not run: ${r.message}\n`);
        if (opts.record && run.results.some((r) => r.failingRows > 0)) {
          process.stdout.write(`run ${run.runId}; the failing rows: marketlake sql "SELECT check_name, \\"row\\" FROM gold_quality_failures WHERE run_id = '${run.runId}'"\n`);
        }
      }
      if (run.results.some(isErrorFailure)) process.exitCode = 1;
    });

  quality
    .command('list')
    .description('the checks with their table, severity, blocking flag and thresholds (after QUALITY_CONFIG)')
    .action(async () => {
      const { ALL_CHECKS, qualityConfigFromEnv } = await import('../../transforms/index.ts');
      const config = qualityConfigFromEnv(ALL_CHECKS);
      const rows = [['check', 'table', 'severity', 'blocking', 'enabled', 'thresholds']];
      for (const c of config.checks) rows.push([c.check.name, c.check.table, c.severity, c.blocking ? 'yes' : 'no', c.enabled ? 'yes' : 'no', JSON.stringify(c.thresholds)]);
      process.stdout.write(`${pad(rows)}\n`);
    });
}
