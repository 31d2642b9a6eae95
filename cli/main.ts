/**
 * `marketlake`: the one command line of the project. Each command lives in cli/commands/ and
 * registers itself in `buildProgram`; the commands stay thin and call into the services' modules.
 * bin/marketlake.js calls `run`; tests call `buildProgram` to inspect the commands.
 */
import { Command } from 'commander';
import { registerStackCommand } from './commands/stack.ts';
import { registerDevCommand } from './commands/dev.ts';
import { registerSqlCommand } from './commands/sql.ts';
import { registerLakeCommand } from './commands/lake.ts';
import { registerProducerCommands } from './commands/producers.ts';
import { registerStreamCommand } from './commands/stream.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { registerBackfillCommand } from './commands/backfill.ts';
import { registerTransformCommand } from './commands/transform.ts';
import { registerApiCommand } from './commands/api.ts';
import { registerQualityCommand } from './commands/quality.ts';

export function buildProgram(): Command {
  const program = new Command()
    .name('marketlake')
    .description('An open crypto market-data lakehouse: Kafka, a Delta-format Parquet lake, Temporal, DuckDB.')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false });

  registerDevCommand(program);
  registerStackCommand(program);
  registerSqlCommand(program);
  registerLakeCommand(program);
  registerProducerCommands(program);
  registerStreamCommand(program);
  registerWorkerCommand(program);
  registerBackfillCommand(program);
  registerTransformCommand(program);
  registerQualityCommand(program);
  registerApiCommand(program);
  return program;
}

/**
 * A reader that stopped reading (`marketlake sql ... | head`) closes our stdout: that ends the
 * command quietly and successfully, as it does for any Unix tool, instead of an EPIPE stack trace.
 */
function exitQuietlyWhenStdoutCloses(): void {
  let closed = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (closed) return; // writes still queued fail the same way
    closed = true;
    process.stdout.destroy();
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

export async function run(argv: string[]): Promise<void> {
  exitQuietlyWhenStdoutCloses();
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    // One line a person can act on (the error classes' messages say what to do).
    process.stderr.write(`marketlake: ${(err as Error).message}\n`);
    // Exit now: what the failed command had started (a writer thread, a metrics server, a Kafka
    // client's retry timer) must not keep a process that cannot work alive.
    process.exit(1);
  }
}
