/** `marketlake stream`: run the streaming service (Kafka → bronze, candles → silver and Kafka). */
import type { Command } from 'commander';

export function registerStreamCommand(program: Command): void {
  program
    .command('stream')
    .description('run the streaming service: Kafka trades → bronze + event-time candles → silver/candles and market.candles.v1 (exactly once)')
    .action(async () => {
      const { runStream } = await import('../../streaming/index.ts');
      await runStream();
    });
}
