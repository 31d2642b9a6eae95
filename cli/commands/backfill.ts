/**
 * `marketlake backfill`: start a backfill workflow and follow its progress (or run it in-process
 * with --local); `backfill status <id>` and `backfill cancel <id>`.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { BackfillProgress, BackfillResult } from '../../workflows/index.ts';

interface StartOptions {
  symbols?: string;
  from?: string;
  to?: string;
  source: string;
  mode: string;
  dryRun?: boolean;
  local?: boolean;
  detach?: boolean;
  maxConcurrency: string;
  id?: string;
  json?: boolean;
}

function bar(): { update(p: BackfillProgress): void; stop(): void } {
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update(p) {
        if (Date.now() - last < 5000) return;
        last = Date.now();
        const finished = p.partitions.done + p.partitions.failed + p.partitions.unavailable + p.partitions.skipped;
        process.stderr.write(`${finished}/${p.partitions.total} partitions, ${p.rowsWritten} rows, ${p.partitions.failed} failed\n`);
      },
      stop() {},
    };
  }
  const b = new cliProgress.SingleBar(
    { format: 'backfill [{bar}] {value}/{total} partitions | {rows} rows | {rate} rows/s | failed {failed} | ETA {eta_s}s', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const finished = p.partitions.done + p.partitions.failed + p.partitions.unavailable + p.partitions.skipped;
      const payload = { rows: p.rowsWritten, rate: p.rowsPerSecond, failed: p.partitions.failed };
      if (!started) {
        b.start(p.partitions.total, finished, payload);
        started = true;
      } else b.update(finished, payload);
    },
    stop: () => started && b.stop(),
  };
}

function printResult(r: BackfillResult, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const p = r.progress.partitions;
  if (r.dryRun && r.plan) {
    process.stdout.write(`${r.summary} (dry run: nothing written)\n${r.plan.partitionsTotal} partitions: ${r.plan.items.reduce((n, i) => n + i.days.length, 0)} to write, ${r.plan.skipped.length} complete already, ${r.plan.existing.length} of those to write hold candles; ${r.plan.rowsExpected} rows expected\n`);
    for (const i of r.plan.items) process.stdout.write(`  ${i.id}  ${i.days.length} day(s)  ${i.archive?.url ?? 'REST /api/v3/klines'}\n`);
    return;
  }
  process.stdout.write(`${r.summary}: ${p.done} done, ${p.skipped} skipped (complete), ${p.unavailable} not published, ${p.failed} failed; ${r.progress.rowsWritten} rows written\n`);
  for (const f of r.failed) process.stdout.write(`  FAILED ${f.symbol} ${f.day}: ${f.reason}\n`);
}

export function registerBackfillCommand(program: Command): void {
  program
    .command('backfill')
    .description('backfill silver candles (and bronze trades) from Binance archives or REST: start the workflow and show its progress; `backfill status <id>`, `backfill cancel <id>`')
    .argument('[action]', 'status | cancel (omit to start a backfill)')
    .argument('[id]', 'workflow id, for status and cancel')
    .option('--symbols <list>', 'comma-separated Binance symbols, e.g. BTCUSDT,ETHUSDT')
    .option('--from <date>', 'first day (YYYY-MM-DD or ISO timestamp)')
    .option('--to <date>', 'last day, inclusive')
    .option('--source <source>', 'klines | trades | aggTrades | rest | auto', 'auto')
    .option('--mode <mode>', 'missing (only incomplete symbol-days) | all (rewrite the range)', 'missing')
    .option('--dry-run', 'print the plan (partitions, files, rows expected) and write nothing')
    .option('--local', 'run the same activities in this process, without Temporal')
    .option('--detach', 'start the workflow and return at once')
    .option('--max-concurrency <n>', 'work items at once', '4')
    .option('--id <workflowId>', 'workflow id (default: derived from the range)')
    .option('--json', 'print the result as JSON')
    .action(async (action: string | undefined, id: string | undefined, opts: StartOptions) => {
      const wf = await import('../../workflows/index.ts');
      const config = wf.loadWorkerConfig();
      if (action !== undefined && action !== 'status' && action !== 'cancel') throw new Error(`unknown backfill action ${JSON.stringify(action)}: use status <id> or cancel <id>, or options to start one`);
      if (action && !id) throw new Error(`backfill ${action} needs a workflow id`);
      const uiBase = config.TEMPORAL_UI_URL ?? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
      const link = (wid: string) => `${uiBase}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(wid)}`;

      if (!action) {
        if (!opts.symbols || !opts.from || !opts.to) throw new Error('backfill needs --symbols, --from and --to');
        const input = {
          symbols: opts.symbols.split(',').map((s) => s.trim()).filter(Boolean),
          from: opts.from,
          to: opts.to,
          source: opts.source as never,
          mode: opts.mode as never,
          dryRun: Boolean(opts.dryRun),
          maxConcurrency: Number(opts.maxConcurrency),
        };
        wf.normaliseBackfillInput(input, { nowMs: Date.now(), maxPartitions: config.BACKFILL_MAX_PARTITIONS });
        if (opts.local) {
          const { Lake } = await import('../../lake/index.ts');
          const { createLogger } = await import('../../common/logger.ts');
          const { createMetricsRegistry } = await import('../../common/metrics.ts');
          const abort = new AbortController();
          const onSignal = () => abort.abort(new Error('interrupted'));
          process.once('SIGINT', onSignal);
          const progress = bar();
          try {
            const result = await wf.runBackfillLocally(
              { lake: new Lake(config.LAKE_DIR), config, fetch: globalThis.fetch, logger: createLogger('backfill', process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn'), registry: createMetricsRegistry('backfill') },
              input,
              { onProgress: (p) => progress.update(p), signal: abort.signal },
            );
            progress.stop();
            printResult(result, opts.json);
            if (result.failed.length > 0 || abort.signal.aborted) process.exitCode = 1;
          } finally {
            process.off('SIGINT', onSignal);
          }
          return;
        }
        const { Client, Connection } = await import('@temporalio/client');
        const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
        try {
          const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
          const handle = await wf.startBackfill(client, input, { workflowId: opts.id });
          process.stderr.write(`started backfill ${handle.workflowId}\n  ${link(handle.workflowId)}\n`);
          if (opts.detach) {
            process.stdout.write(`${handle.workflowId}\n`);
            return;
          }
          const progress = bar();
          let done = false;
          const onSignal = () => {
            progress.stop();
            process.stderr.write(`\ndetached: the backfill goes on. Follow it with \`marketlake backfill status ${handle.workflowId}\`, stop it with \`marketlake backfill cancel ${handle.workflowId}\`\n`);
            process.exit(130);
          };
          process.once('SIGINT', onSignal);
          const poll = (async () => {
            while (!done) {
              try {
                progress.update(await handle.query<BackfillProgress>('progress'));
              } catch {
                // Between runs (continue-as-new) or before the first task: ask again.
              }
              await new Promise((r) => setTimeout(r, 1000));
            }
          })();
          try {
            const result = (await handle.result()) as BackfillResult;
            done = true;
            await poll;
            progress.stop();
            printResult(result, opts.json);
            if (result.failed.length > 0) process.exitCode = 1;
          } finally {
            done = true;
            process.off('SIGINT', onSignal);
          }
        } finally {
          await connection.close();
        }
        return;
      }

      const { Client, Connection } = await import('@temporalio/client');
      const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
      try {
        const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
        if (action === 'cancel') {
          await client.workflow.getHandle(id!).cancel();
          const status = await wf.backfillStatus(client, id!);
          process.stdout.write(`cancel requested for ${id}: ${status.state}\n`);
          return;
        }
        const status = await wf.backfillStatus(client, id!);
        if (opts.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        else if (status.state === 'running') {
          const p = status.progress;
          process.stdout.write(`${p.summary}: running; ${p.partitions.done}/${p.partitions.total} done, ${p.partitions.running} running, ${p.partitions.failed} failed, ${p.rowsWritten} rows, ETA ${p.etaSeconds ?? '?'} s\n  ${link(id!)}\n`);
        } else if (status.state === 'completed') printResult(status.result, false);
        else process.stdout.write(`${id}: ${status.state}${status.reason ? ` (${status.reason})` : ''}\n`);
      } finally {
        await connection.close();
      }
    });
}
