/**
 * `marketlake sql "<query>" [--format table|csv|json] [--timeout s] [--memory-limit size]`:
 * read-only DuckDB SQL over the lake's current snapshot; no query: a shell. Every query has a
 * time limit and the DuckDB a memory limit, so that one query cannot take the machine.
 */
import os from 'node:os';
import readline from 'node:readline';
import { InvalidArgumentError, type Command } from 'commander';
import { z } from 'zod';
import { baseEnvSchema, parseEnv } from '../../common/config.ts';
import { LakeQueryEngine, formatResult, type OutputFormat } from '../../lake/index.ts';
import { existingLakeFromEnv } from '../lake-location.ts';

const FORMATS = ['table', 'csv', 'json'] as const;

/** A quarter of the machine's memory, at least 512 MB: DuckDB's own default (80%) starves everything else. */
export const DEFAULT_SQL_MEMORY_LIMIT = `${Math.max(512, Math.floor(os.totalmem() / 4 / 1024 / 1024))}MB`;

export const sqlEnvSchema = baseEnvSchema.extend({
  /** Time limit of each `marketlake sql` query, in seconds (0: none); `--timeout` overrides it. */
  SQL_TIMEOUT_S: z.coerce.number().min(0).default(300),
  /** DuckDB memory limit of `marketlake sql` (DuckDB syntax, e.g. 2GB); `--memory-limit` overrides it. */
  SQL_MEMORY_LIMIT: z.string().regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'a size such as 2GB').default(DEFAULT_SQL_MEMORY_LIMIT),
});

function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds >= 0 (0: no limit)');
  return n;
}

function parseSize(value: string): string {
  if (!/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(value)) throw new InvalidArgumentError('expected a size such as 512MB or 2GB');
  return value;
}

/** `bronze/trades@12` or `bronze_trades@2024-03-01T12:00:00Z`. */
function parseAt(spec: string): { table: string; at: { version: number } | { timestamp: Date } } {
  const i = spec.lastIndexOf('@');
  if (i <= 0) throw new Error(`--at ${spec}: expected <table>@<version|ISO timestamp>`);
  const table = spec.slice(0, i);
  const when = spec.slice(i + 1);
  if (/^\d+$/.test(when)) return { table, at: { version: Number(when) } };
  const t = new Date(when);
  if (Number.isNaN(t.getTime())) throw new Error(`--at ${spec}: ${when} is neither a version nor a timestamp`);
  return { table, at: { timestamp: t } };
}

export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('DuckDB SQL (one SELECT) over the current lake snapshot; without a query, an interactive shell')
    .argument('[query]', 'a single SELECT, e.g. "SELECT symbol, count(*) FROM bronze_trades GROUP BY 1"')
    .option('-f, --format <format>', `output format: ${FORMATS.join(' | ')}`, 'table')
    .option('--at <table@version|timestamp>', 'time travel: read a table as of a version or ISO timestamp (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--timeout <seconds>', 'interrupt a query after this many seconds, 0 for none (default: SQL_TIMEOUT_S, 300)', parseSeconds)
    .option('--memory-limit <size>', `DuckDB memory limit, e.g. 2GB (default: SQL_MEMORY_LIMIT, ${DEFAULT_SQL_MEMORY_LIMIT} here)`, parseSize)
    .action(async (query: string | undefined, opts: { format: string; at: string[]; timeout?: number; memoryLimit?: string }) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new Error(`--format must be one of ${FORMATS.join(', ')}`);
      const format = opts.format as OutputFormat;
      const config = parseEnv(sqlEnvSchema);
      const timeoutMs = (opts.timeout ?? config.SQL_TIMEOUT_S) * 1000;
      const engine = await LakeQueryEngine.open({ lake: await existingLakeFromEnv(), memoryLimit: opts.memoryLimit ?? config.SQL_MEMORY_LIMIT });
      try {
        for (const spec of opts.at) {
          const { table, at } = parseAt(spec);
          const snap = await engine.pin(table, at);
          process.stderr.write(`${table} pinned at version ${snap.version} (${new Date(snap.timestamp).toISOString()})\n`);
        }
        if (query !== undefined) {
          const result = await engine.query(query, { timeoutMs });
          process.stdout.write(`${formatResult(result, format)}\n`);
        } else if (!(await shell(engine, format, timeoutMs))) {
          process.exitCode = 1; // the shell's last query failed: scripts piping queries in can tell
        }
      } finally {
        engine.close();
      }
    });
}

/** Runs queries read from stdin; resolves false when the last query failed. */
async function shell(engine: LakeQueryEngine, format: OutputFormat, timeoutMs: number): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: process.stdin.isTTY ? 'lake> ' : '', terminal: process.stdin.isTTY });
  const help = 'Enter one SELECT per statement, ending with ";". Commands: .tables  .refresh  .format table|csv|json  .help  .quit';
  if (process.stdin.isTTY) process.stdout.write(`marketlake sql: read-only DuckDB over ${engine.lake.root}\n${help}\n`);
  let buffer = '';
  let lastOk = true;
  rl.prompt();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (buffer === '' && trimmed.startsWith('.')) {
      const [cmd, arg] = trimmed.split(/\s+/);
      if (cmd === '.quit' || cmd === '.exit') break;
      if (cmd === '.help') process.stdout.write(`${help}\n`);
      else if (cmd === '.tables') process.stdout.write(`${Object.entries(engine.viewVersions()).map(([v, n]) => `${v} (version ${n})`).join('\n')}\n`);
      else if (cmd === '.refresh') process.stdout.write(`refreshed: ${(await engine.refresh()).join(', ') || 'no changes'}\n`);
      else if (cmd === '.format' && (FORMATS as readonly string[]).includes(arg)) format = arg as OutputFormat;
      else process.stdout.write(`unknown command ${trimmed}\n${help}\n`);
      rl.prompt();
      continue;
    }
    buffer += `${line}\n`;
    if (!trimmed.endsWith(';')) {
      if (process.stdin.isTTY) rl.setPrompt(buffer.trim() ? '   ...> ' : 'lake> ');
      rl.prompt();
      continue;
    }
    const sql = buffer.trim().replace(/;+$/, '');
    buffer = '';
    if (process.stdin.isTTY) rl.setPrompt('lake> ');
    try {
      await engine.refresh();
      const t0 = performance.now();
      const result = await engine.query(sql, { timeoutMs });
      process.stdout.write(`${formatResult(result, format)}\n`);
      if (process.stdin.isTTY) process.stdout.write(`(${((performance.now() - t0) / 1000).toFixed(3)} s)\n`);
      lastOk = true;
    } catch (err) {
      process.stdout.write(`error: ${(err as Error).message}\n`);
      lastOk = false;
    }
    rl.prompt();
  }
  rl.close();
  return lastOk;
}
