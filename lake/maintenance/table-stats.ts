/**
 * What a table's current snapshot holds, as the Lake board shows it: version, live files and
 * bytes, and the small files that the next optimize would rewrite (files below the target size in
 * partitions holding at least `minFiles` of them: the same rule as optimize's).
 */
import type { Snapshot } from '../delta/snapshot.ts';

export interface TableStats {
  readonly version: number;
  readonly files: number;
  readonly bytes: number;
  readonly smallFiles: number;
}

export function tableStats(snapshot: Snapshot, options: { targetFileBytes?: number; minFiles?: number } = {}): TableStats {
  const target = options.targetFileBytes ?? 128 * 1024 * 1024;
  const minFiles = options.minFiles ?? 2;
  const smallByPartition = new Map<string, number>();
  let bytes = 0;
  const files = snapshot.addFiles();
  for (const f of files) {
    bytes += f.size;
    if (f.size >= target) continue;
    const key = JSON.stringify(snapshot.partitionColumns.map((c) => f.partitionValues[c] ?? null));
    smallByPartition.set(key, (smallByPartition.get(key) ?? 0) + 1);
  }
  const smallFiles = [...smallByPartition.values()].filter((n) => n >= minFiles).reduce((a, b) => a + b, 0);
  return { version: snapshot.version, files: files.length, bytes, smallFiles };
}
