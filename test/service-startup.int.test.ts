/**
 * A service that cannot start exits non-zero with one clear line (issue 11 item 6), and its
 * /health never says 200 meanwhile. Run as a person runs them: `node bin/marketlake.js stream`
 * and `... produce simulator`, each against the real condition (a port held by another process,
 * a closed port, an unknown host, a read-only directory, a file).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../stack/net.ts';
import { kafkaBrokers } from './infra.ts';
import { plainLines, runCli, type CliOptions } from './support/run-cli.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-startup-'));
fs.chmodSync(scratch, 0o755);
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

async function holdPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

async function baseEnv(): Promise<NodeJS.ProcessEnv> {
  const lake = fs.mkdtempSync(path.join(scratch, 'lake-'));
  return {
    LAKE_DIR: lake,
    KAFKA_BROKERS: kafkaBrokers().join(','),
    STREAM_METRICS_PORT: String(await freePort()),
    PRODUCER_METRICS_PORT: String(await freePort()),
    KAFKA_STARTUP_WAIT_MS: '3000',
    LOG_LEVEL: 'silent',
  };
}

function expectOneLine(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(1);
  const lines = plainLines(r.stderr);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('a service that cannot start exits with one line', () => {
  for (const [service, args, portVar] of [
    ['stream', ['stream'], 'STREAM_METRICS_PORT'],
    ['producer', ['produce', 'simulator'], 'PRODUCER_METRICS_PORT'],
  ] as const) {
    it(`${service}: its metrics port taken`, async () => {
      const held = await holdPort();
      try {
        const r = await runCli(args, { env: { ...(await baseEnv()), [portVar]: String(held.port) }, timeoutMs: 30_000 });
        expectOneLine(r, new RegExp(`^marketlake: port ${held.port} on 127\\.0\\.0\\.1 is already in use by another process: stop it or choose another port with ${portVar}$`));
      } finally {
        await held.close();
      }
    });
  }

  it('stream: Kafka unreachable, after its bounded wait, with /health 503 (never 200) meanwhile', async () => {
    const env: NodeJS.ProcessEnv = { ...(await baseEnv()), KAFKA_BROKERS: `127.0.0.1:${await freePort()}`, KAFKA_STARTUP_WAIT_MS: '6000' };
    const healthCodes: number[] = [];
    const r = await runCli(['stream'], {
      env,
      timeoutMs: 40_000,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          fetch(`http://127.0.0.1:${env.STREAM_METRICS_PORT}/health`).then(
            (res) => healthCodes.push(res.status),
            () => undefined,
          );
        }, 200);
        child.once('exit', () => clearInterval(poll));
      },
    });
    expectOneLine(r, /^marketlake: Kafka at 127\.0\.0\.1:\d+ is unreachable after \d+ s \(.*ECONNREFUSED.*\): start it with `marketlake stack up`/);
    expect(healthCodes.length).toBeGreaterThan(0);
    expect(new Set(healthCodes)).toEqual(new Set([503]));
  });

  it('stream: an unknown Kafka host is named', async () => {
    const r = await runCli(['stream'], { env: { ...(await baseEnv()), KAFKA_BROKERS: 'no-such-broker.invalid:9092' }, timeoutMs: 40_000 });
    expectOneLine(r, /^marketlake: Kafka host "no-such-broker\.invalid" is unknown \(KAFKA_BROKERS=no-such-broker\.invalid:9092\); gave up after \d+ s: check KAFKA_BROKERS$/);
  });

  it('stream: a read-only lake directory says "not writable"', async () => {
    const env = await baseEnv();
    fs.chmodSync(env.LAKE_DIR!, 0o555);
    // Permission bits do not bind root: as root, run the service as nobody, as a user would be.
    const asUser: Partial<CliOptions> = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = await runCli(['stream'], { env, timeoutMs: 30_000, ...asUser });
    expectOneLine(r, new RegExp(`^marketlake: LAKE_DIR=${env.LAKE_DIR} is not writable \\(EACCES\\): fix its permissions or point LAKE_DIR elsewhere$`));
    // A lake that does not exist yet, under a read-only parent, says the same (not ENOENT).
    const r2 = await runCli(['stream'], { env: { ...env, LAKE_DIR: path.join(env.LAKE_DIR!, 'lake') }, timeoutMs: 30_000, ...asUser });
    expectOneLine(r2, /is not writable \(EACCES\)/);
  });

  it('stream: a lake path that is a file', async () => {
    const env = await baseEnv();
    const file = path.join(env.LAKE_DIR!, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const r = await runCli(['stream'], { env: { ...env, LAKE_DIR: file }, timeoutMs: 30_000 });
    expectOneLine(r, new RegExp(`^marketlake: LAKE_DIR=${file} is a file, not a directory: point LAKE_DIR at a directory$`));
  });
});
