/** `marketlake worker`: the Temporal worker (queues marketlake and marketlake-backfill) and its schedules. */
import type { Command } from 'commander';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run the Temporal worker (queues marketlake and marketlake-backfill), ensure the schedules, repair gaps from market.gaps.v1')
    .action(async () => {
      const { runWorker } = await import('../../workflows/index.ts');
      await runWorker();
    });
}
