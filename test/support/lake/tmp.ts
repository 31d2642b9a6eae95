/** Scratch directories for lake tests, removed when the test file finishes. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

export function tmpLakeDir(prefix = 'lake-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `marketlake-${prefix}`));
  made.push(dir);
  return dir;
}

export function removeTmpDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
