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
import { registerTransformCommand } from './commands/transform.ts';

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
  registerTransformCommand(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`marketlake: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
