/**
 * The `_delta_log/` directory on a local file system: naming, listing, reading commits, and the
 * one primitive that makes commits atomic and serialised: creating the next version's file
 * exclusively. The commit is written in full to a temporary file first and then hard-linked to
 * its final name; `link` fails with EEXIST when another writer got there first, so a reader never
 * sees a half-written commit and two writers never both win the same version.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseActions, serializeActions, type Action } from './actions.ts';
import type { VersionChecksum } from './checksum.ts';
import { CorruptLogError } from './corrupt-log.ts';

export const LOG_DIR = '_delta_log';

export function versionFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`;
}

export function checksumFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.crc`;
}

/** Temporary files of writes in progress (or left by a crash): `.tmp-<uuid>...`. */
export const TEMP_FILE_PREFIX = '.tmp-';

export function checkpointFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.checkpoint.parquet`;
}

const COMMIT_RE = /^(\d{20})\.json$/;
const CHECKPOINT_RE = /^(\d{20})\.checkpoint\.parquet$/;

export interface LogListing {
  /** Sorted ascending. */
  commits: number[];
  /** Single-file checkpoints, sorted ascending. */
  checkpoints: number[];
}

export interface LastCheckpoint {
  version: number;
  size: number;
  sizeInBytes?: number;
  numOfAddFiles?: number;
}

export class VersionAlreadyExistsError extends Error {
  constructor(readonly version: number) {
    super(`version ${version} was committed by another writer`);
    this.name = 'VersionAlreadyExistsError';
  }
}

export class LogStore {
  readonly logDir: string;

  constructor(readonly tableDir: string) {
    this.logDir = path.join(tableDir, LOG_DIR);
  }

  async exists(): Promise<boolean> {
    try {
      await fs.access(path.join(this.logDir, versionFileName(0)));
      return true;
    } catch {
      const listing = await this.list().catch(() => undefined);
      return !!listing && (listing.commits.length > 0 || listing.checkpoints.length > 0);
    }
  }

  async list(): Promise<LogListing> {
    const names = await fs.readdir(this.logDir);
    const commits: number[] = [];
    const checkpoints: number[] = [];
    for (const n of names) {
      let m = COMMIT_RE.exec(n);
      if (m) {
        commits.push(Number(m[1]));
        continue;
      }
      m = CHECKPOINT_RE.exec(n);
      if (m) checkpoints.push(Number(m[1]));
    }
    commits.sort((a, b) => a - b);
    checkpoints.sort((a, b) => a - b);
    return { commits, checkpoints };
  }

  /**
   * The actions of one commit, or undefined when that version does not exist (yet). An empty
   * commit file or one cut in the middle of a line is a CorruptLogError: every commit holds at
   * least one action, and commits appear whole (see writeCommit).
   */
  async readCommit(version: number): Promise<Action[] | undefined> {
    const file = path.join(this.logDir, versionFileName(version));
    const text = await readIfExists(file);
    if (text === undefined) return undefined;
    if (text.trim() === '') throw new CorruptLogError(this.tableDir, version, file, 'the commit file is empty');
    try {
      return parseActions(text, file);
    } catch (err) {
      throw new CorruptLogError(this.tableDir, version, file, `the commit is cut or garbled: ${(err as Error).message}`);
    }
  }

  /** The version checksum recorded for `version`, or undefined when there is none. */
  async readChecksum(version: number): Promise<VersionChecksum | undefined> {
    const file = path.join(this.logDir, checksumFileName(version));
    const text = await readIfExists(file);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as VersionChecksum;
    } catch (err) {
      throw new CorruptLogError(this.tableDir, version, file, `the version checksum is not JSON: ${(err as Error).message}`);
    }
  }

  /** Records the checksum of `version` (written whole: a temporary file renamed into place). */
  async writeChecksum(version: number, checksum: VersionChecksum): Promise<void> {
    const tmp = path.join(this.logDir, `${TEMP_FILE_PREFIX}${randomUUID()}.crc`);
    await fs.writeFile(tmp, JSON.stringify(checksum) + '\n');
    await fs.rename(tmp, path.join(this.logDir, checksumFileName(version)));
  }

  async commitMtime(version: number): Promise<number | undefined> {
    try {
      return (await fs.stat(path.join(this.logDir, versionFileName(version)))).mtimeMs;
    } catch {
      return undefined;
    }
  }

  /** Writes `version` exclusively; throws VersionAlreadyExistsError when it already exists. */
  async writeCommit(version: number, actions: readonly Action[]): Promise<void> {
    await fs.mkdir(this.logDir, { recursive: true });
    const tmp = path.join(this.logDir, `${TEMP_FILE_PREFIX}${randomUUID()}.json`);
    const target = path.join(this.logDir, versionFileName(version));
    await fs.writeFile(tmp, serializeActions(actions), { flag: 'wx' });
    try {
      await fs.link(tmp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new VersionAlreadyExistsError(version);
      throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async readLastCheckpoint(): Promise<LastCheckpoint | undefined> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.logDir, '_last_checkpoint'), 'utf8')) as LastCheckpoint;
    } catch {
      return undefined;
    }
  }

  async writeLastCheckpoint(info: LastCheckpoint): Promise<void> {
    const tmp = path.join(this.logDir, `${TEMP_FILE_PREFIX}${randomUUID()}-last-checkpoint`);
    await fs.writeFile(tmp, JSON.stringify(info));
    await fs.rename(tmp, path.join(this.logDir, '_last_checkpoint'));
  }

  checkpointPath(version: number): string {
    return path.join(this.logDir, checkpointFileName(version));
  }
}

/** A log file's text, or undefined when it does not exist (any other failure throws). */
async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
