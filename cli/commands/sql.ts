/** `marketlake sql "<query>" [--format table|csv|json]`: read-only DuckDB SQL over the lake's current snapshot; no query: a shell. */
import readline from 'node:readline';
import type { Command } from 'commander';
import { Lake, LakeQueryEngine, formatResult, type OutputFormat } from '../../lake/index.ts';

const FORMATS = ['table', 'csv', 'json'] as const;

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
    .action(async (query: string | undefined, opts: { format: string; at: string[] }) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new Error(`--format must be one of ${FORMATS.join(', ')}`);
      const format = opts.format as OutputFormat;
      const engine = await LakeQueryEngine.open({ lake: Lake.fromEnv() });
      try {
        for (const spec of opts.at) {
          const { table, at } = parseAt(spec);
          const snap = await engine.pin(table, at);
          process.stderr.write(`${table} pinned at version ${snap.version} (${new Date(snap.timestamp).toISOString()})\n`);
        }
        if (query !== undefined) {
          const result = await engine.query(query);
          process.stdout.write(`${formatResult(result, format)}\n`);
        } else {
          await shell(engine, format);
        }
      } finally {
        engine.close();
      }
    });
}

async function shell(engine: LakeQueryEngine, format: OutputFormat): Promise<void> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: process.stdin.isTTY ? 'lake> ' : '', terminal: process.stdin.isTTY });
  const help = 'Enter one SELECT per statement, ending with ";". Commands: .tables  .refresh  .format table|csv|json  .help  .quit';
  if (process.stdin.isTTY) process.stdout.write(`marketlake sql: read-only DuckDB over ${engine.lake.root}\n${help}\n`);
  let buffer = '';
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
      const result = await engine.query(sql);
      process.stdout.write(`${formatResult(result, format)}\n`);
      if (process.stdin.isTTY) process.stdout.write(`(${((performance.now() - t0) / 1000).toFixed(3)} s)\n`);
    } catch (err) {
      process.stdout.write(`error: ${(err as Error).message}\n`);
    }
    rl.prompt();
  }
  rl.close();
}
