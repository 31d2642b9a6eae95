/**
 * A Delta log that cannot be trusted: an empty commit file, a commit cut in the middle of a line,
 * or a table state that disagrees with the version checksum (`N.crc`) its writer recorded (a
 * commit that lost lines). Reading such a table fails with this error, naming the table and the
 * version, instead of answering from a partial log: the lake never answers silently wrong.
 * Other tables are not affected (the query engine keeps serving them).
 */
import path from 'node:path';

export class CorruptLogError extends Error {
  /** The table's name as the lake knows it (`bronze/trades`), from its directory. */
  readonly table: string;

  constructor(
    /** The table's directory. */
    readonly tableDir: string,
    /** The version whose commit (or checksum) is damaged or disagrees. */
    readonly version: number,
    /** The log file concerned. */
    readonly file: string,
    readonly reason: string,
  ) {
    const table = tableNameOf(tableDir);
    super(`table ${table}: version ${version} of its Delta log is damaged: ${reason} (${file})`);
    this.name = 'CorruptLogError';
    this.table = table;
  }
}

/** `…/lake/data/bronze/trades` → `bronze/trades` (the layer and the table directory). */
function tableNameOf(dir: string): string {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  return parts.slice(-2).join('/');
}
