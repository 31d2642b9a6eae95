/** `marketlake lake tables|history|optimize|vacuum|checkpoint <table>`: inspect and maintain lake tables. */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_VACUUM_RETENTION_HOURS, optimize, vacuum } from '../../lake/index.ts';
import { existingLakeFromEnv } from '../lake-location.ts';

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return Number(value);
}

/** `symbol=BTCUSDT,date=2024-03-01` → { symbol: 'BTCUSDT', date: '2024-03-01' }. */
function parsePartition(spec: string, acc: Record<string, string>[]): Record<string, string>[] {
  const p: Record<string, string> = {};
  for (const kv of spec.split(',')) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--partition ${spec}: expected col=value[,col=value]`);
    p[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return [...acc, p];
}

export function registerLakeCommand(program: Command): void {
  const lake = program.command('lake').description('inspect and maintain the lake tables (LAKE_DIR)');

  lake
    .command('tables')
    .description('list the tables with their version, files and rows')
    .action(async () => {
      const l = await existingLakeFromEnv();
      for (const name of await l.listTables()) {
        const s = (await l.table(name)).snapshot();
        process.stdout.write(`${name.padEnd(24)} version ${String(s.version).padStart(6)}  files ${String(s.files.size).padStart(6)}  rows ${s.numRecords() ?? '?'}\n`);
      }
    });

  lake
    .command('history')
    .description('the commits of a table, newest first')
    .argument('<table>', 'e.g. bronze/trades or bronze_trades')
    .option('-n, --limit <n>', 'how many commits', positiveInteger, 20)
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { limit: number; json?: boolean }) => {
      const table = await (await existingLakeFromEnv()).table(name);
      const history = await table.history(opts.limit);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(history, null, 2)}\n`);
        return;
      }
      for (const h of history) {
        const params = Object.keys(h.operationParameters).length ? ` ${JSON.stringify(h.operationParameters)}` : '';
        process.stdout.write(
          `${String(h.version).padStart(6)}  ${h.timestamp.toISOString()}  ${h.operation.padEnd(12)} +${h.addedFiles} files${h.addedRows !== undefined ? ` (${h.addedRows} rows)` : ''} -${h.removedFiles} files${params}\n`,
        );
      }
    });

  lake
    .command('optimize')
    .description("compact each partition's small files into one, in one commit (same rows)")
    .argument('<table>')
    .option('-p, --partition <col=value,...>', 'only this partition (repeatable)', parsePartition, [] as Record<string, string>[])
    .action(async (name: string, opts: { partition: Record<string, string>[] }) => {
      const table = await (await existingLakeFromEnv()).table(name);
      const r = await optimize(table, { partitions: opts.partition.length ? opts.partition : undefined });
      process.stdout.write(
        r.version === undefined
          ? 'nothing to compact\n'
          : `version ${r.version}: ${r.partitionsCompacted} partitions, ${r.filesRemoved} files → ${r.filesAdded}, ${r.rows} rows\n`,
      );
    });

  lake
    .command('vacuum')
    .description('delete files no longer referenced (and files no commit referenced) older than the retention')
    .argument('<table>')
    .option('--retention-hours <h>', 'keep unreferenced files younger than this', String(DEFAULT_VACUUM_RETENTION_HOURS))
    .option('--dry-run', 'only list what would be deleted')
    .action(async (name: string, opts: { retentionHours: string; dryRun?: boolean }) => {
      const hours = Number(opts.retentionHours);
      if (!(hours >= 0)) throw new Error('--retention-hours must be a number >= 0');
      if (hours < 1) process.stderr.write('warning: a retention under 1 hour can delete files a running writer has not committed yet, and breaks time travel to recent versions\n');
      const table = await (await existingLakeFromEnv()).table(name);
      const r = await vacuum(table, { retentionHours: hours, dryRun: opts.dryRun });
      for (const f of r.deleted) process.stdout.write(`${r.dryRun ? 'would delete' : 'deleted'} ${f}\n`);
      process.stdout.write(`${r.deleted.length} files, ${r.bytes} bytes${r.dryRun ? ' (dry run)' : ''}; version ${r.version} kept intact\n`);
    });

  lake
    .command('checkpoint')
    .description('write a Delta checkpoint of the current version now')
    .argument('<table>')
    .action(async (name: string) => {
      const table = await (await existingLakeFromEnv()).table(name);
      await table.checkpoint();
      process.stdout.write(`checkpoint written at version ${table.version}\n`);
    });
}
