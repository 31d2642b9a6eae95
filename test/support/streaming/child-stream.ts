/** `marketlake stream` as a child process (what users run), for tests that kill it or measure it. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StreamServiceOptions } from '../../../streaming/index.ts';

const BIN = fileURLToPath(new URL('../../../bin/marketlake.js', import.meta.url));

export interface StreamProcess {
  readonly child: ChildProcess;
  /** stderr and stdout lines (JSON log lines) so far. */
  readonly lines: string[];
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<number | string>;
  /** Peak resident memory so far (VmHWM of /proc/<pid>/status), bytes. */
  peakRssBytes(): number;
  /** SIGTERM, then the exit. */
  stop(): Promise<number | string>;
  /** SIGKILL (a crash), then the exit. */
  kill(): Promise<number | string>;
}

export function startStreamProcess(opts: {
  lakeDir: string;
  group: string;
  brokers: readonly string[];
  topics: StreamServiceOptions['topics'];
  port: number;
  env?: Record<string, string>;
  nodeOptions?: string;
}): StreamProcess {
  const child = spawn(process.execPath, [...(opts.nodeOptions ? opts.nodeOptions.split(' ') : []), BIN, 'stream'], {
    env: {
      ...process.env,
      LAKE_DIR: opts.lakeDir,
      KAFKA_BROKERS: opts.brokers.join(','),
      LOG_LEVEL: 'info',
      STREAM_METRICS_PORT: String(opts.port),
      STREAM_GROUP_ID: opts.group,
      STREAM_INPUTS: 'trades',
      STREAM_TRADES_TOPIC: opts.topics.trades,
      STREAM_CANDLES_TOPIC: opts.topics.candles,
      STREAM_DEADLETTER_TOPIC: opts.topics.deadletter,
      STREAM_BATCH_MAX_MS: '300',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (d: Buffer) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop()!;
      lines.push(...parts);
    });
  }
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  let peak = 0;
  const peakRssBytes = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      // exited: the last reading stands
    }
    return peak;
  };
  return {
    child,
    lines,
    exited,
    peakRssBytes,
    async stop() {
      peakRssBytes();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      peakRssBytes();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}
