/** `marketlake stack up|down|status|provision`: the local infrastructure only. */
import type { Command } from 'commander';
import { kafkaBrokerList, loadBaseConfig } from '../../common/config.ts';
import { ensureTopics } from '../../stack/topics.ts';
import { Stack, formatStatusTable } from '../../stack/stack.ts';
import { stackSettingsFromConfig } from '../../stack/settings.ts';

export function createStackFromEnv(): Stack {
  const settings = stackSettingsFromConfig(loadBaseConfig());
  return new Stack(settings, { onEvent: (m) => process.stderr.write(`${m}\n`) });
}

export function registerStackCommand(program: Command): void {
  const stack = program.command('stack').description('provision, start, stop and inspect the local infrastructure (Kafka, Temporal + UI, Prometheus)');

  stack
    .command('up')
    .description('provision what is missing (cached), then start every component that is not running')
    .action(async () => {
      const s = createStackFromEnv();
      const t0 = Date.now();
      await s.up();
      process.stderr.write(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      process.stdout.write(`${formatStatusTable(await s.status())}\n`);
    });

  stack
    .command('status')
    .description('show each component with its address and state (exit code 1 when one is not up)')
    .action(async () => {
      const rows = await createStackFromEnv().status();
      process.stdout.write(`${formatStatusTable(rows)}\n`);
      if (rows.some((r) => r.state !== 'up')) process.exitCode = 1;
    });

  stack
    .command('down')
    .description('stop every component this stack started; leaves no process behind')
    .action(async () => {
      await createStackFromEnv().down();
    });

  stack
    .command('topics')
    .description('create the Kafka topics (ARCHITECTURE.md) on KAFKA_BROKERS (idempotent; docker compose runs it)')
    .action(async () => {
      const config = loadBaseConfig();
      const created = await ensureTopics(kafkaBrokerList(config), { partitions: config.KAFKA_PARTITIONS, tradesPartitions: config.KAFKA_TRADES_PARTITIONS });
      process.stdout.write(created.length > 0 ? `created ${created.join(', ')}\n` : 'all topics exist\n');
    });

  stack
    .command('provision')
    .description('download and build the infrastructure into the cache without starting it (CI uses this)')
    .action(async () => {
      const t0 = Date.now();
      await createStackFromEnv().provision();
      process.stderr.write(`provisioned in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    });
}
