/**
 * Finding the tools the stack needs and running provisioning commands with visible progress.
 * A missing prerequisite is reported with what to install, never as a bare ENOENT.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export class MissingPrerequisiteError extends Error {
  constructor(tool: string, why: string, howToInstall: string) {
    super(`${tool} is required ${why} but was not found. ${howToInstall}`);
    this.name = 'MissingPrerequisiteError';
  }
}

/** Several prerequisites missing at once: all of them in one message, so one round of installing fixes it. */
export class MissingPrerequisitesError extends MissingPrerequisiteError {
  constructor(readonly missing: readonly MissingPrerequisiteError[]) {
    super('', '', '');
    this.message = missing.map((e) => e.message).join(' ');
    this.name = 'MissingPrerequisitesError';
  }
}

/** The absolute path of `name` on PATH, or undefined. */
export function which(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function requireTool(name: string, why: string, howToInstall: string): string {
  const found = which(name);
  if (!found) throw new MissingPrerequisiteError(name, why, howToInstall);
  return found;
}

/** Major version of the `java` on PATH (17 for "17.0.15"), or undefined when there is none. */
export function javaMajorVersion(java = which('java')): number | undefined {
  if (!java) return undefined;
  const out = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

export function requireJava(): string {
  const java = requireTool('java', 'to run Apache Kafka', 'Install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless).');
  const major = javaMajorVersion(java);
  if (major !== undefined && major < 17) {
    throw new MissingPrerequisiteError('java 17+', `to run Apache Kafka (found Java ${major})`, 'Install a JDK 17 or newer.');
  }
  return java;
}

export interface ProgressSink {
  (event: { phase: string; detail: string; count: number }): void;
}

/** Prints provisioning progress: one rewritten line on a TTY, a line every few seconds otherwise. */
export function consoleProgress(label: string): ProgressSink {
  let lastPrint = 0;
  const tty = process.stderr.isTTY;
  return ({ phase, detail, count }) => {
    const line = `${label}: ${phase} (${count}) ${detail}`;
    if (tty) {
      process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 100) - 1)}`);
      if (phase === 'done') process.stderr.write('\n');
    } else if (Date.now() - lastPrint > 3000 || phase === 'done') {
      lastPrint = Date.now();
      process.stderr.write(`${line}\n`);
    }
  };
}

/** The interesting part of a provisioning output line: the artifact or module, not the URL. */
export function progressDetail(line: string): string {
  const url = /https?:\/\/\S+\/([^/\s]+)(\s|$)/.exec(line);
  if (url) return url[1];
  return line.replace(/\s+/g, ' ').trim().slice(-80);
}

/**
 * Runs a provisioning command (mvn, go install), counting the lines that match `stepPattern`
 * (each artifact or module downloaded) as progress. Rejects with the output's tail on failure.
 */
export function runWithProgress(
  command: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stepPattern: RegExp; progress: ProgressSink; phase: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let count = 0;
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let idx: number;
      while ((idx = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, idx).trimEnd();
        buffer = buffer.slice(idx + 1);
        tail.push(line);
        if (tail.length > 30) tail.shift();
        if (opts.stepPattern.test(line)) {
          count += 1;
          opts.progress({ phase: opts.phase, detail: progressDetail(line), count });
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      opts.progress({ phase: 'done', detail: code === 0 ? 'ok' : `failed (exit ${code})`, count });
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed with exit code ${code}:\n${tail.join('\n')}`));
    });
  });
}
