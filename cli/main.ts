/**
 * `marketlake`: the one command line of the project. Each command lives in cli/commands/ and
 * registers itself here; the commands stay thin and call into the services' own modules.
 */
import { Command } from 'commander';
import { registerStackCommand } from './commands/stack.ts';
import { registerDevCommand } from './commands/dev.ts';

const program = new Command()
  .name('marketlake')
  .description('An open crypto market-data lakehouse: Kafka, a Delta-format Parquet lake, Temporal, DuckDB.')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: false });

registerDevCommand(program);
registerStackCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`marketlake: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
