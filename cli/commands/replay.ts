/**
 * `marketlake replay --file F [--symbol S] [--kind trades|aggTrades] [--speed N|max]`: publish a
 * Binance trades / aggTrades archive (csv or zip, path or URL) to market.trades.v1, with a
 * progress bar and a final count.
 */
import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { Option, type Command } from 'commander';
import { kafkaBrokerList } from '../../common/config.ts';
import { waitForKafka } from '../../common/kafka-startup.ts';
import { createLogger } from '../../common/logger.ts';
import { createMetricsRegistry } from '../../common/metrics.ts';
import { Shutdown } from '../../common/shutdown.ts';
import { countCsvRows, createPublisher, loadProducerConfig, parseReplaySpeed, replayArchive, tradesArchiveLayout, type ReplaySpeed } from '../../producers/index.ts';

interface ReplayOpts {
  file: string;
  symbol?: string;
  kind?: 'trades' | 'aggTrades';
  speed: ReplaySpeed;
  checksum: 'if-present' | 'require' | 'skip';
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('publish a Binance trades/aggTrades archive (csv or zip, local path or URL) to Kafka, paced or as fast as possible')
    .requiredOption('--file <path-or-url>', 'archive, e.g. BTCUSDT-trades-2017-08-17.csv or a data.binance.vision URL')
    .option('--symbol <symbol>', 'symbol (default: from the file name)', (s: string) => s.toUpperCase())
    .addOption(new Option('--kind <kind>', 'trades or aggTrades (default: from the file name)').choices(['trades', 'aggTrades']))
    .option('--speed <N|max>', 'original pacing × N, or max', parseReplaySpeed, 'max' as ReplaySpeed)
    .option('--checksum <policy>', 'if-present, require or skip the .CHECKSUM check', 'if-present')
    .action(async (opts: ReplayOpts) => {
      const config = loadProducerConfig();
      // A file replay cannot use is refused before waiting for Kafka.
      tradesArchiveLayout(opts.file, { kind: opts.kind, symbol: opts.symbol });
      if (!/^https?:\/\//i.test(opts.file) && !fs.existsSync(opts.file)) throw new Error(`no such file: ${opts.file}`);
      const logger = createLogger('replay', config.LOG_LEVEL);
      await waitForKafka(kafkaBrokerList(config), { timeoutMs: config.KAFKA_STARTUP_WAIT_MS, logger, clientId: `${config.KAFKA_CLIENT_ID}-replay` });
      const publisher = createPublisher(config, 'replay', logger, createMetricsRegistry('replay', { defaultMetrics: false })).start();
      const abort = new AbortController();
      const shutdown = new Shutdown(logger, { exit: false });
      shutdown.add('kafka publisher', () => publisher.close({ timeoutMs: config.PRODUCER_CLOSE_TIMEOUT_MS }).then(() => undefined));
      shutdown.add('replay', () => abort.abort());
      shutdown.listen();

      const total = await countCsvRows(opts.file);
      const bar = new cliProgress.SingleBar(
        { format: total ? 'replay |{bar}| {value}/{total} trades | {rate}/s | eta {eta_formatted}' : 'replay {value} trades | {rate}/s', hideCursor: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total ?? 0, 0, { rate: 0 });
      const started = Date.now();
      try {
        const result = await replayArchive(opts.file, publisher, {
          symbol: opts.symbol,
          kind: opts.kind,
          speed: opts.speed,
          checksum: opts.checksum,
          signal: abort.signal,
          onProgress: (n) => {
            if ((n & 255) !== 0) return;
            bar.update(n, { rate: Math.round(n / Math.max(0.001, (Date.now() - started) / 1000)) });
            // A batch given up (an outage longer than PRODUCER_MAX_OUTAGE_MS): publishing on would
            // leave a gap of trade ids behind it, so stop here and say so.
            if (publisher.report().undelivered > 0) abort.abort();
          },
        });
        bar.update(result.published, { rate: Math.round(result.published / Math.max(0.001, (Date.now() - started) / 1000)) });
        bar.stop();
        // Everything read is handed over: wait for it as long as an outage may last (Ctrl-C stops it).
        const report = await publisher.close({ timeoutMs: Math.max(config.PRODUCER_CLOSE_TIMEOUT_MS, config.PRODUCER_MAX_OUTAGE_MS) });
        process.stderr.write(
          `replayed ${result.published} trades (ids ${result.firstTradeId ?? '-'}..${result.lastTradeId ?? '-'}) from ${opts.file}${result.aborted ? ' (interrupted)' : ''}: ` +
            `${report.delivered} delivered, ${report.deadLettered} dead-lettered (${result.invalidRows} bad rows), ${report.undelivered} undelivered\n`,
        );
        if (report.undelivered > 0 || report.refused > 0) process.exitCode = 1;
      } catch (err) {
        bar.stop();
        await publisher.close({ timeoutMs: config.PRODUCER_CLOSE_TIMEOUT_MS });
        throw err;
      } finally {
        await shutdown.stopAll();
      }
    });
}
