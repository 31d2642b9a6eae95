/**
 * marketlake services as a user runs them: `node bin/marketlake.js <command>` child processes,
 * ready when their /health answers, stopped by their PID with SIGTERM (SIGKILL if they hang);
 * and one-shot commands (`replay`, `transform run`) run to their exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/marketlake.js', import.meta.url));

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** host:port Prometheus scrapes (the service's /metrics). */
  readonly target: string;
  output(): string;
  stop(): Promise<void>;
}

function capture(child: ChildProcess): () => string {
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => out;
}

export async function startService(name: string, args: string[], env: NodeJS.ProcessEnv, port: number, timeoutMs = 240_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = capture(child);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready:\n${output().slice(-3000)}`);
    const r = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    if (r?.ok) {
      const body = (await r.json().catch(() => ({}))) as { status?: string };
      if (body.status === 'ok') break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} not healthy on :${port} within ${timeoutMs} ms:\n${output().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { name, child, target: `127.0.0.1:${port}`, output, stop };
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = capture(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output: output() };
}
