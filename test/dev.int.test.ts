/**
 * `marketlake dev` end to end, as a person runs it: it brings the stack up on the configured
 * ports, starts every service, prints the URLs, and Ctrl-C stops it all with nothing
 * left running.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort, freePortRun, isPortFree } from '../stack/net.ts';
import { TEMPORAL_CONSECUTIVE_PORTS } from '../stack/temporal.ts';

const BIN = fileURLToPath(new URL('../bin/marketlake.js', import.meta.url));

describe('marketlake dev', () => {
  // Without Prometheus (a newcomer may not have it): everything else starts, and one line says how
  // to add it. Ctrl-C as a terminal sends it: SIGINT to dev's whole process group.
  it('starts the stack (without Prometheus) and the services, and Ctrl-C stops everything cleanly', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-dev-'));
    const env = {
      ...process.env,
      MARKETLAKE_STATE_DIR: stateDir,
      LAKE_DIR: path.join(stateDir, 'lake'),
      KAFKA_PORT: String(await freePort()),
      KAFKA_CONTROLLER_PORT: String(await freePort()),
      TEMPORAL_PORT: String(await freePortRun(TEMPORAL_CONSECUTIVE_PORTS)),
      TEMPORAL_UI_PORT: String(await freePort()),
      PROMETHEUS_PORT: String(await freePort()),
      API_PORT: String(await freePort()),
      PRODUCER_METRICS_PORT: String(await freePort()),
      STREAM_METRICS_PORT: String(await freePort()),
      WORKER_METRICS_PORT: String(await freePort()),
      PROMETHEUS_BIN: path.join(stateDir, 'no-prometheus-here'),
      LOG_LEVEL: 'info',
    } as NodeJS.ProcessEnv;
    env.KAFKA_BROKERS = `127.0.0.1:${env.KAFKA_PORT}`;
    env.TEMPORAL_ADDRESS = `127.0.0.1:${env.TEMPORAL_PORT}`;

    // detached: dev leads a process group of its own, as a shell's foreground job does.
    const child = spawn(process.execPath, [BIN, 'dev'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // Runs even when the test times out, so a failed run leaves no servers behind.
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
      spawnSync(process.execPath, [BIN, 'stack', 'down'], { env });
      fs.rmSync(stateDir, { recursive: true, force: true });
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`dev did not come up:\n${output.slice(-3000)}`)), 150_000);
        const check = setInterval(() => {
          if (output.includes('Ctrl-C stops everything')) {
            clearTimeout(timer);
            clearInterval(check);
            resolve();
          }
        }, 200);
        child.once('exit', (code) => {
          clearTimeout(timer);
          clearInterval(check);
          reject(new Error(`dev exited early (${code}):\n${output.slice(-3000)}`));
        });
      });
      expect(output).toMatch(new RegExp(`Temporal UI\\s+http://127\\.0\\.0\\.1:${env.TEMPORAL_UI_PORT}`));
      expect(output).toMatch(/Prometheus\s+not running \(not found, running without it: .*To add it: apt-get install prometheus.*\); every service still serves \/metrics/);
      expect(await isPortFree(Number(env.PROMETHEUS_PORT))).toBe(true);
      const ui = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`);
      expect(ui.status).toBe(200);

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      process.kill(-child.pid!, 'SIGINT'); // the terminal's Ctrl-C: the whole foreground group
      expect(await exited).toBe(0);
      // Each service got one signal and stopped gracefully (not "second signal: exiting now").
      expect(output).not.toMatch(/second signal/);
      expect(output).toMatch(/"service":"stream".*"component":"stream".*"msg":"stopped"/);
      const leftovers = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(stateDir));
      expect(leftovers).toEqual([]);
      for (const port of [env.KAFKA_PORT, env.TEMPORAL_PORT, env.TEMPORAL_UI_PORT, env.PROMETHEUS_PORT]) {
        expect(await isPortFree(Number(port)), `port ${port} released`).toBe(true);
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 300_000);
});
