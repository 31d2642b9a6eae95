/** A missing JDK, Maven or Go is reported with what to install, not as a bare ENOENT. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaComponent } from './kafka.ts';
import { TemporalComponent } from './temporal.ts';
import { PrometheusComponent } from './prometheus.ts';
import type { StackSettings } from './settings.ts';
import { MissingPrerequisiteError, progressDetail } from './tools.ts';

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
