/**
 * Apache Kafka, single node in KRaft mode (no ZooKeeper). Where Kafka is installed already
 * (KAFKA_HOME, or kafka-server-start.sh on PATH) that installation runs; otherwise the broker's
 * jars are resolved from Maven Central with Maven once, cached, and run with the JDK.
 * 3.9.x is pinned: it is the newest line kafkajs is known to work with.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { ensureTopics } from './topics.ts';
import type { StackSettings } from './settings.ts';
import { notRunningStatus, type ComponentStatus, type PortUse, type StackComponent } from './component.ts';
import { waitUntil } from './net.ts';
import { runningPid, startDetached, stopProcess, tailFile } from './processes.ts';
import { requireJava, requireTool, runWithProgress, which, type ProgressSink } from './tools.ts';

export const KAFKA_VERSION = '3.9.1';
const SCALA_VERSION = '2.13';

/** How to run the broker: an existing installation's scripts, or java with our cached jars. */
type Launcher =
  | { kind: 'scripts'; binDir: string }
  | { kind: 'jars'; libDir: string };

const LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
`;

export class KafkaComponent implements StackComponent {
  readonly name = 'Kafka';
  private readonly dir: string;

  constructor(private readonly settings: StackSettings) {
    this.dir = path.join(settings.stateDir, 'kafka');
  }

  get ports(): PortUse[] {
    return [
      { port: this.settings.kafka.port, role: 'broker', envVar: 'KAFKA_PORT' },
      { port: this.settings.kafka.controllerPort, role: 'KRaft controller', envVar: 'KAFKA_CONTROLLER_PORT' },
    ];
  }

  get logFile(): string {
    return path.join(this.dir, 'kafka.log');
  }

  private get pidFile(): string {
    return path.join(this.dir, 'kafka.pid');
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.settings.kafka.port}`;
  }

  private get jarDir(): string {
    return path.join(this.settings.cacheDir, `kafka_${SCALA_VERSION}-${KAFKA_VERSION}`, 'libs');
  }

  private existingInstallation(): Launcher | undefined {
    const home = process.env.KAFKA_HOME;
    if (home && fs.existsSync(path.join(home, 'bin', 'kafka-server-start.sh'))) {
      return { kind: 'scripts', binDir: path.join(home, 'bin') };
    }
    const onPath = which('kafka-server-start.sh');
    if (onPath) return { kind: 'scripts', binDir: path.dirname(onPath) };
    return undefined;
  }

  private launcher(): Launcher {
    const existing = this.existingInstallation();
    if (existing) return existing;
    if (fs.existsSync(path.join(this.jarDir, '.complete'))) return { kind: 'jars', libDir: this.jarDir };
    throw new Error(`Kafka is not provisioned yet: run \`marketlake stack up\` (it resolves Kafka ${KAFKA_VERSION} with Maven)`);
  }

  /** A JDK always; Maven only while Kafka is neither installed (KAFKA_HOME, PATH) nor cached. */
  checkPrerequisites(): void {
    requireJava();
    if (!this.existingInstallation() && !fs.existsSync(path.join(this.jarDir, '.complete'))) this.requireMaven();
  }

  private requireMaven(): string {
    return requireTool('mvn', `to fetch Kafka ${KAFKA_VERSION}'s jars from Maven Central (or set KAFKA_HOME to an installed Kafka)`, 'Install Maven (Debian: apt-get install maven).');
  }

  async provision(progress: ProgressSink): Promise<void> {
    this.checkPrerequisites();
    if (this.existingInstallation() || fs.existsSync(path.join(this.jarDir, '.complete'))) return;
    const mvn = this.requireMaven();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'marketlake-kafka-'));
    const staging = `${this.jarDir}.partial`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.writeFileSync(
      path.join(work, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.marketlake</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_${SCALA_VERSION}</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`,
    );
    try {
      await runWithProgress(
        mvn,
        ['-B', 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'],
        { cwd: work, stepPattern: /Download(ed|ing) from/, progress, phase: `resolving Kafka ${KAFKA_VERSION} jars` },
      );
      fs.writeFileSync(path.join(staging, '.complete'), `${new Date().toISOString()}\n`);
      fs.rmSync(this.jarDir, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(this.jarDir), { recursive: true });
      fs.renameSync(staging, this.jarDir);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  private writeConfig(): string {
    const { port, controllerPort, partitions } = this.settings.kafka;
    const config = path.join(this.dir, 'server.properties');
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(
      config,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        `log.dirs=${path.join(this.dir, 'data')}`,
        `num.partitions=${partitions}`,
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=10',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        'auto.create.topics.enable=false',
        'log.retention.hours=168',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(this.dir, 'log4j.properties'), LOG4J);
    return config;
  }

  private command(launcher: Launcher, tool: 'server' | 'storage', args: string[]): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
    const log4j = `-Dlog4j.configuration=file:${path.join(this.dir, 'log4j.properties')}`;
    const heap = `-Xmx${this.settings.kafka.heapMb}m`;
    if (launcher.kind === 'scripts') {
      const script = tool === 'server' ? 'kafka-server-start.sh' : 'kafka-storage.sh';
      return { command: path.join(launcher.binDir, script), args, env: { KAFKA_HEAP_OPTS: `${heap} -Xms256m`, KAFKA_LOG4J_OPTS: log4j, LOG_DIR: this.dir } };
    }
    const java = requireJava();
    const main = tool === 'server' ? 'kafka.Kafka' : 'kafka.tools.StorageTool';
    return {
      command: java,
      args: [heap, '-Xms256m', '-XX:+UseG1GC', '-Djava.awt.headless=true', log4j, '-cp', `${launcher.libDir}/*`, main, ...args],
      env: {},
    };
  }

  /** Formats the KRaft metadata directory once; a formatted one is reused so data survives restarts. */
  private async formatStorage(launcher: Launcher, config: string): Promise<void> {
    if (fs.existsSync(path.join(this.dir, 'data', 'meta.properties'))) return;
    // A KRaft cluster id is 16 random bytes in URL-safe base64 (22 characters).
    // It must not start with '-', or the storage tool's argument parser takes it for an option.
    let clusterId: string;
    do clusterId = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    while (clusterId.startsWith('-'));
    const { command, args, env } = this.command(launcher, 'storage', ['format', '-t', clusterId, '-c', config]);
    const out = spawnSync(command, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`Kafka: formatting the storage failed:\n${out.stdout}${out.stderr}`);
  }

  isRunning(): boolean {
    return runningPid(this.pidFile) !== undefined;
  }

  async start(): Promise<'started' | 'already-running'> {
    if (runningPid(this.pidFile) !== undefined) return 'already-running';
    const launcher = this.launcher();
    const config = this.writeConfig();
    await this.formatStorage(launcher, config);
    const { command, args, env } = this.command(launcher, 'server', [config]);
    const pid = startDetached({ name: 'kafka', command, args, env, logFile: this.logFile, pidFile: this.pidFile });
    await waitUntil('Kafka', () => this.answers(), {
      timeoutMs: 90_000,
      intervalMs: 500,
      abortIf: () => (runningPid(this.pidFile) === pid ? undefined : `the broker exited on start; log tail:\n${tailFile(this.logFile)}`),
    });
    await this.createTopics();
    return 'started';
  }

  /** Readiness: a real Kafka metadata request answered by a broker. */
  async answers(): Promise<boolean> {
    const admin = new Kafka({ clientId: 'marketlake-stack', brokers: [this.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Creates the Kafka topics (ARCHITECTURE.md, "Topics") (idempotent); market.trades.v1 gets its own partition count. */
  async createTopics(): Promise<void> {
    await ensureTopics([this.bootstrap], this.settings.kafka);
  }

  async status(): Promise<ComponentStatus[]> {
    const pid = runningPid(this.pidFile);
    const address = this.bootstrap;
    if (pid === undefined) {
      return [await notRunningStatus(this.name, address, this.settings.kafka.port)];
    }
    const up = await this.answers().catch(() => false);
    return [{ name: this.name, address, state: up ? 'up' : 'starting', pid }];
  }

  stop(): Promise<boolean> {
    return stopProcess(this.pidFile, 30_000);
  }
}

