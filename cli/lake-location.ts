/**
 * For the commands that read the lake (`sql`, `lake ...`): LAKE_DIR must name an existing
 * directory. A typo must not show an empty lake without a word (or create a directory).
 */
import fs from 'node:fs';
import { Lake } from '../lake/index.ts';

export class LakeNotFoundError extends Error {
  constructor(readonly root: string, reason: 'missing' | 'not-a-directory') {
    super(
      reason === 'missing'
        ? `LAKE_DIR=${root} does not exist: no lake there (check LAKE_DIR; \`marketlake dev\` or \`marketlake stream\` creates and fills it)`
        : `LAKE_DIR=${root} is a file, not a lake directory: check LAKE_DIR`,
    );
    this.name = 'LakeNotFoundError';
  }
}

/** The lake under LAKE_DIR, which must exist; prints a note to stderr when it has no table yet. */
export async function existingLakeFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Lake> {
  const lake = Lake.fromEnv(env);
  const stat = fs.statSync(lake.root, { throwIfNoEntry: false });
  if (!stat) throw new LakeNotFoundError(lake.root, 'missing');
  if (!stat.isDirectory()) throw new LakeNotFoundError(lake.root, 'not-a-directory');
  if ((await lake.listTables()).length === 0) process.stderr.write(`note: the lake at ${lake.root} has no tables yet; views are empty\n`);
  return lake;
}
