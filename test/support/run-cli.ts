/** Runs the real CLI as a person does (`node bin/marketlake.js ...`) and collects what it said. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/marketlake.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Written to stdin, then closed (stdin is closed at once without it). */
  readonly input?: string;
  /** SIGKILL after this long (the result then has signal SIGKILL). Default 60 s. */
  readonly timeoutMs?: number;
  /** Called once the process is spawned (e.g. to close its stdout early, as `| head` does). */
  readonly onSpawn?: (child: ChildProcess) => void;
  readonly uid?: number;
  readonly gid?: number;
}

export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    uid: opts.uid,
    gid: opts.gid,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stdout!.on('error', () => undefined);
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(opts.input ?? '');
  opts.onSpawn?.(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The lines of `stderr` that are not JSON log lines (what a person reads as the error). */
export function plainLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
}
