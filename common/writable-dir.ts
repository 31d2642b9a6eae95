/**
 * Start-up check of a directory a service writes (LAKE_DIR): it is created when missing, and must
 * be a directory this process can create files in. Checked by creating and removing a probe file,
 * because permission bits alone do not tell (read-only mounts, ACLs, root).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DirectoryNotWritableError } from './startup-errors.ts';

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

export function ensureWritableDir(dir: string, envVar: string): string {
  const abs = path.resolve(dir);
  const stat = fs.statSync(abs, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) throw new DirectoryNotWritableError(abs, envVar, 'not-a-directory');
  try {
    if (!stat) fs.mkdirSync(abs, { recursive: true });
    const probe = path.join(abs, `.write-probe-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (err) {
    const c = code(err);
    if (c === 'ENOTDIR' || c === 'EEXIST') throw new DirectoryNotWritableError(abs, envVar, 'not-a-directory');
    if (c && NOT_WRITABLE.has(c)) throw new DirectoryNotWritableError(abs, envVar, 'not-writable', c);
    throw err;
  }
  return abs;
}
