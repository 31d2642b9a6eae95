/**
 * The actions of the Delta Lake transaction protocol (reader version 1, writer version 2), as
 * they appear one per line in `_delta_log/<version>.json` and as rows of a checkpoint.
 * https://github.com/delta-io/delta/blob/master/PROTOCOL.md
 */

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
}

export interface MetadataAction {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options: Record<string, string> };
  /** The table schema as a JSON-serialised Delta struct type. */
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number | null;
}

export interface AddAction {
  /** Relative to the table root, URL-encoded (RFC 2396), e.g. `symbol=BTCUSDT/date=2024-01-01/part-….parquet`. */
  path: string;
  /** Partition column → value as a string (null for a null partition value). */
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  /** False when the file only rearranges existing rows (optimize). */
  dataChange: boolean;
  /** JSON: { numRecords, minValues, maxValues, nullCount }. */
  stats?: string | null;
  tags?: Record<string, string> | null;
}

export interface RemoveAction {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean | null;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
}

/** An application transaction: streaming records "Kafka offsets up to `version` are in the lake". */
export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

export interface CommitInfoAction {
  timestamp: number;
  operation: string;
  operationParameters?: Record<string, unknown>;
  readVersion?: number;
  isBlindAppend?: boolean;
  engineInfo?: string;
  [key: string]: unknown;
}

export type Action =
  | { protocol: ProtocolAction }
  | { metaData: MetadataAction }
  | { add: AddAction }
  | { remove: RemoveAction }
  | { txn: TxnAction }
  | { commitInfo: CommitInfoAction };

/** File statistics in an `add` action (`stats` JSON). */
export interface FileStats {
  numRecords: number;
  minValues: Record<string, unknown>;
  maxValues: Record<string, unknown>;
  nullCount: Record<string, number>;
}

export const ENGINE_INFO = 'marketlake/0.1.0';

/** Serialises a commit: one JSON object per line, newline-terminated (the log file format). */
export function serializeActions(actions: readonly Action[]): string {
  return actions.map((a) => JSON.stringify(a)).join('\n') + '\n';
}

/** Parses a commit file. Unknown action kinds (cdc, domainMetadata, ...) are kept out. */
export function parseActions(text: string, source: string): Action[] {
  const actions: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${source}:${i + 1}: not a JSON action: ${(err as Error).message}`);
    }
    if ('add' in obj || 'remove' in obj || 'metaData' in obj || 'protocol' in obj || 'txn' in obj || 'commitInfo' in obj) {
      actions.push(obj as Action);
    }
  }
  return actions;
}

/** Delta paths are URL-encoded; the file system wants them decoded. */
export function decodeDeltaPath(p: string): string {
  return decodeURIComponent(p);
}

/** Encodes each path segment the way Spark and delta-rs do (RFC 2396: `=` and `/` stay). */
export function encodeDeltaPath(p: string): string {
  return p
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/%3D/g, '='))
    .join('/');
}

/** Whether a file's partition values fall in `partition` (the columns it leaves out match any value). */
export function inPartition(values: Readonly<Record<string, string | null | undefined>>, partition: Readonly<Record<string, string | null>>): boolean {
  return Object.entries(partition).every(([k, v]) => (values[k] ?? null) === v);
}

/**
 * A file's statistics, parsed once per add action (its statistics never change, and a snapshot
 * keeps its add actions: views, partition pruning and the gold runner ask for them again and
 * again, and the JSON lists every column's minimum and maximum). Read-only.
 */
export function parseStats(add: Pick<AddAction, 'stats'>): FileStats | undefined {
  if (!add.stats) return undefined;
  if (parsedStats.has(add)) return parsedStats.get(add);
  let stats: FileStats | undefined;
  try {
    stats = JSON.parse(add.stats) as FileStats;
  } catch {
    stats = undefined;
  }
  parsedStats.set(add, stats);
  return stats;
}

const parsedStats = new WeakMap<object, FileStats | undefined>();
