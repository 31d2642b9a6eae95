/**
 * `marketlake dev`: the README's main command. Starts the stack, then every service as a child
 * process, prints where to look, and on Ctrl-C stops the services (reverse order) and the stack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadBaseConfig } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { Shutdown } from '../../common/shutdown.ts';
import { httpOk, waitUntil } from '../../stack/net.ts';
import { stackSettingsFromConfig } from '../../stack/settings.ts';
import { Stack, formatStatusTable } from '../../stack/stack.ts';
import { devServices } from '../dev-services.ts';

const BIN = fileURLToPath(new URL('../../bin/marketlake.js', import.meta.url));

function stopChild(child: ChildProcess, graceMs = 20_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('provision and start the local stack, then every service; Ctrl-C stops it all')
    .option('--keep-stack', 'leave Kafka, Temporal and Prometheus running on exit')
    .action(async (opts: { keepStack?: boolean }) => {
      const config = loadBaseConfig();
      const logger = createLogger('dev', config.LOG_LEVEL);
      const shutdown = new Shutdown(logger, { perComponentTimeoutMs: 40_000 });
      shutdown.listen();
      const stack = new Stack(stackSettingsFromConfig(config), { onEvent: (m) => logger.info(m) });
      // Registered before `up` so that Ctrl-C during a slow first start still stops what started.
      if (!opts.keepStack) shutdown.add('stack', () => stack.down());
      try {
        await stack.up();
      } catch (err) {
        if (shutdown.isStopping) return; // interrupted by Ctrl-C; the shutdown handler finishes
        throw err;
      }

      for (const service of devServices(config)) {
        if (shutdown.isStopping) return;
        // Each service in a process group of its own: a terminal's Ctrl-C reaches only dev, which
        // then stops the services once, in order. (In dev's group they got the terminal's SIGINT
        // and then dev's SIGTERM, and took the second for "exit now", skipping their clean stop.)
        const child = spawn(process.execPath, [BIN, ...service.args], { stdio: 'inherit', env: process.env, detached: true });
        shutdown.add(service.name, () => stopChild(child));
        child.once('exit', (code, signal) => {
          if (!shutdown.isStopping) logger.error({ service: service.name, code, signal }, 'service exited; stopping dev');
          void shutdown.stopAll().then(() => process.exit(code ?? 1));
        });
        await waitUntil(service.name, () => httpOk(service.healthUrl(config)), { timeoutMs: 120_000, intervalMs: 500 });
        logger.info({ service: service.name }, 'service up');
      }

      const lines = [
        '',
        formatStatusTable(await stack.status()),
        '',
        `Temporal UI   ${stack.temporal.uiUrl}`,
        `Prometheus    ${stack.skippedReason(stack.prometheus) ? `not running (${stack.skippedReason(stack.prometheus)}); every service still serves /metrics` : stack.prometheus.url}`,
        ...devServices(config).flatMap((s) => (s.publicUrl ? [`${s.name.padEnd(13)} ${s.publicUrl(config)}`] : [])),
        '',
        'Candles land in the lake within a minute or two; query them with',
        '  npx marketlake sql "select * from silver_candles order by window_start desc limit 10"',
        '',
        'Ctrl-C stops everything.',
        '',
      ];
      process.stderr.write(lines.join('\n'));
      await shutdown.untilStopped(); // run until Ctrl-C (the handler exits the process)
    });
}
