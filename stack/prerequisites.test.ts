/** A missing JDK, Maven or Go is reported with what to install, not as a bare ENOENT. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaComponent } from './kafka.ts';
import { TemporalComponent } from './temporal.ts';
import { PrometheusComponent } from './prometheus.ts';
import type { StackSettings } from './settings.ts';
import { MissingPrerequisiteError, MissingPrerequisitesError, progressDetail } from './tools.ts';
import { Stack } from './stack.ts';

function settings(dir: string): StackSettings {
  return {
    stateDir: path.join(dir, 'state'),
    cacheDir: path.join(dir, 'empty-cache'),
    kafka: { port: 1, controllerPort: 2, partitions: 1, tradesPartitions: 1, heapMb: 256 },
    temporal: { port: 3, uiPort: 4, dbFile: undefined, namespace: 'default' },
    prometheus: { port: 5, scrapeTargets: {} },
  };
}

describe('missing prerequisites', () => {
  let dir: string;
  let savedPath: string | undefined;
  let savedKafkaHome: string | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prereq-'));
    savedPath = process.env.PATH;
    savedKafkaHome = process.env.KAFKA_HOME;
    delete process.env.KAFKA_HOME;
    process.env.PATH = path.join(dir, 'bin'); // nothing on PATH
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    if (savedKafkaHome !== undefined) process.env.KAFKA_HOME = savedKafkaHome;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Kafka without a JDK says to install a JDK 17+', async () => {
    const err = await new KafkaComponent(settings(dir)).provision(() => undefined).catch((e: Error) => e);
    expect(err).toBeInstanceOf(MissingPrerequisiteError);
    expect((err as Error).message).toMatch(/java is required to run Apache Kafka/);
    expect((err as Error).message).toMatch(/JDK 17/);
  });

  it('Kafka with a JDK but no Maven says to install Maven or set KAFKA_HOME', async () => {
    // A fake `java` that reports version 17 stands in for the JDK; Maven stays missing.
    fs.mkdirSync(path.join(dir, 'bin'));
    const java = path.join(dir, 'bin', 'java');
    fs.writeFileSync(java, '#!/bin/sh\necho \'openjdk version "17.0.15" 2025-04-15\' >&2\n');
    fs.chmodSync(java, 0o755);
    const err = await new KafkaComponent(settings(dir)).provision(() => undefined).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/mvn is required/);
    expect((err as Error).message).toMatch(/KAFKA_HOME/);
  });

  it('an old JDK is refused with the version it found', async () => {
    fs.mkdirSync(path.join(dir, 'bin'));
    const java = path.join(dir, 'bin', 'java');
    fs.writeFileSync(java, '#!/bin/sh\necho \'java version "1.8.0_392"\' >&2\n');
    fs.chmodSync(java, 0o755);
    const err = await new KafkaComponent(settings(dir)).provision(() => undefined).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/found Java 8/);
  });

  it('Temporal without Go or a temporal binary says to install Go', async () => {
    const err = await new TemporalComponent(settings(dir)).provision(() => undefined).catch((e: Error) => e);
    expect(err).toBeInstanceOf(MissingPrerequisiteError);
    expect((err as Error).message).toMatch(/go is required to build the Temporal CLI v1\.5\.1/);
    expect((err as Error).message).toMatch(/Install Go/);
  });

  it('Prometheus missing says which package to install', async () => {
    const component = new PrometheusComponent(settings(dir));
    const hasSystemPrometheus = fs.existsSync('/usr/bin/prometheus');
    const result = await component.provision(() => undefined).then(() => 'ok', (e: Error) => e.message);
    if (hasSystemPrometheus) expect(result).toBe('ok'); // Debian's package is found even off PATH
    else expect(result).toMatch(/apt-get install prometheus/);
  });

  it('progress lines show the artifact, not the download URL', () => {
    expect(progressDetail('Downloaded from central: https://repo.example/maven2/org/apache/kafka/kafka_2.13/3.9.1/kafka_2.13-3.9.1.jar (6.3 MB at 2 MB/s)')).toBe('kafka_2.13-3.9.1.jar');
    expect(progressDetail('go: downloading github.com/temporalio/cli v1.5.1')).toBe('go: downloading github.com/temporalio/cli v1.5.1');
  });
});

describe('the stack checks every prerequisite before downloading anything', () => {
  let dir: string;
  let savedPath: string | undefined;
  let savedKafkaHome: string | undefined;
  let bin: string;
  /** Fake tools: each records that it ran, so a test can prove nothing was downloaded or built. */
  const fake = (name: string, script = '') => {
    const file = path.join(bin, name);
    fs.writeFileSync(file, `#!/bin/sh\necho ran >> "${path.join(dir, `${name}.ran`)}"\n${script}\n`);
    fs.chmodSync(file, 0o755);
  };
  const fakeJava = () => fake('java', 'echo \'openjdk version "17.0.15" 2025-04-15\' >&2');
  const ran = (name: string) => fs.existsSync(path.join(dir, `${name}.ran`));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prereq-stack-'));
    bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    savedPath = process.env.PATH;
    savedKafkaHome = process.env.KAFKA_HOME;
    delete process.env.KAFKA_HOME;
    process.env.PATH = bin;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    if (savedKafkaHome !== undefined) process.env.KAFKA_HOME = savedKafkaHome;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a missing JDK refuses before Maven or Go run', async () => {
    fake('mvn');
    fake('go');
    const err = await new Stack(settings(dir)).up().catch((e: Error) => e);
    expect(err).toBeInstanceOf(MissingPrerequisiteError);
    expect((err as Error).message).toMatch(/^java is required to run Apache Kafka but was not found\. Install a JDK 17/);
    expect(ran('mvn')).toBe(false);
    expect(ran('go')).toBe(false);
    expect(fs.existsSync(path.join(dir, 'empty-cache'))).toBe(false);
  });

  it('a missing Go refuses before Maven resolves Kafka', async () => {
    fakeJava();
    fake('mvn');
    const err = await new Stack(settings(dir)).up().catch((e: Error) => e);
    expect(err).toBeInstanceOf(MissingPrerequisiteError);
    expect((err as Error).message).toMatch(/^go is required to build the Temporal CLI/);
    expect(ran('mvn')).toBe(false);
  });

  it('everything missing is named in one error', async () => {
    const err = await new Stack(settings(dir)).up().catch((e: Error) => e);
    expect(err).toBeInstanceOf(MissingPrerequisitesError);
    expect((err as Error).message).toMatch(/java is required.*go is required/);
  });

  it('Go is not needed when the Temporal CLI is cached, nor Maven when Kafka is; Prometheus missing is left out with how to add it', () => {
    fakeJava();
    const s = { ...settings(dir), prometheus: { port: 5, scrapeTargets: {}, binary: path.join(dir, 'no-prometheus') } };
    fs.mkdirSync(path.join(s.cacheDir, 'kafka_2.13-3.9.1', 'libs'), { recursive: true });
    fs.writeFileSync(path.join(s.cacheDir, 'kafka_2.13-3.9.1', 'libs', '.complete'), '');
    fs.mkdirSync(path.join(s.cacheDir, 'temporal-cli', 'v1.5.1'), { recursive: true });
    fs.writeFileSync(path.join(s.cacheDir, 'temporal-cli', 'v1.5.1', 'temporal'), '');
    const events: string[] = [];
    const stack = new Stack(s, { onEvent: (m) => events.push(m) });
    stack.checkPrerequisites();
    expect(stack.skippedReason(stack.prometheus)).toMatch(/not found, running without it: .*To add it: apt-get install prometheus/);
    expect(stack.skippedReason(stack.kafka)).toBeUndefined();
    expect(events).toHaveLength(1);
  });

  it('a Prometheus already answering on its port (Debian\'s system service) is named, and ours is left out', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => res.end(JSON.stringify({ status: 'success', data: { version: '2.45.3+ds' } })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as import('node:net').AddressInfo).port;
      const stack = new Stack({ ...settings(dir), prometheus: { port, scrapeTargets: {} } }, { only: ['prometheus'] });
      await stack.preflight();
      expect(stack.skippedReason(stack.prometheus)).toMatch(
        new RegExp(`not started: Prometheus: port ${port} \\(web\\) is already in use by another process \\(it answers as Prometheus 2\\.45\\.3\\+ds, probably the system service Debian's prometheus package starts: \`sudo systemctl disable --now prometheus\` stops it\\)\\. Stop what listens there or choose another port with PROMETHEUS_PORT\\.`),
      );
    } finally {
      server.close();
    }
  });
});
