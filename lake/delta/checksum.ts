/**
 * Delta version checksum files (`_delta_log/<version>.crc`, PROTOCOL.md "Version Checksum File"):
 * the writer of a version records what the table holds at that version (number and total size of
 * live files, metadata, protocol, stream positions); a reader that rebuilt the same version from
 * the log compares. A commit that lost lines (a truncated file, a dropped last line) then fails
 * loudly instead of serving fewer rows. A version without a checksum (a foreign writer, or a
 * crash between the commit and its checksum) is read without this check.
 */
import type { MetadataAction, ProtocolAction, TxnAction } from './actions.ts';
import type { Snapshot } from './snapshot.ts';

export interface VersionChecksum {
  /** Sum of `size` over the live files. */
  readonly tableSizeBytes: number;
  readonly numFiles: number;
  /** Always 1. */
  readonly numMetadata: number;
  /** Always 1. */
  readonly numProtocol: number;
  readonly metadata: MetadataAction;
  readonly protocol: ProtocolAction;
  /** The live stream positions (Delta `txn`), optional in the protocol. */
  readonly setTransactions?: readonly TxnAction[];
  /** Commit time of the version (ms), optional in the protocol. */
  readonly inCommitTimestampOpt?: number;
}

export function checksumOf(snapshot: Snapshot): VersionChecksum {
  let tableSizeBytes = 0;
  for (const f of snapshot.files.values()) tableSizeBytes += f.size;
  return {
    tableSizeBytes,
    numFiles: snapshot.files.size,
    numMetadata: 1,
    numProtocol: 1,
    metadata: snapshot.metadata,
    protocol: snapshot.protocol,
    setTransactions: [...snapshot.txns.values()],
  };
}

/** How the snapshot disagrees with the recorded checksum, or undefined when it agrees. */
export function checksumMismatch(snapshot: Snapshot, recorded: VersionChecksum): string | undefined {
  const actual = checksumOf(snapshot);
  const diffs: string[] = [];
  const differ = (field: string, want: unknown, got: unknown) => {
    if (want !== undefined && want !== got) diffs.push(`${field} ${JSON.stringify(got)} where the checksum says ${JSON.stringify(want)}`);
  };
  differ('numFiles', recorded.numFiles, actual.numFiles);
  differ('tableSizeBytes', recorded.tableSizeBytes, actual.tableSizeBytes);
  differ('metadata id', recorded.metadata?.id, actual.metadata.id);
  differ('schema', recorded.metadata?.schemaString, actual.metadata.schemaString);
  differ('protocol', recorded.protocol && `${recorded.protocol.minReaderVersion}/${recorded.protocol.minWriterVersion}`, `${actual.protocol.minReaderVersion}/${actual.protocol.minWriterVersion}`);
  if (recorded.setTransactions) {
    const got = new Map(snapshot.txns);
    for (const t of recorded.setTransactions) {
      const mine = got.get(t.appId);
      if (mine?.version !== t.version) diffs.push(`stream position ${t.appId} ${mine?.version ?? 'missing'} where the checksum says ${t.version}`);
    }
    if (recorded.setTransactions.length !== got.size) diffs.push(`${got.size} stream positions where the checksum says ${recorded.setTransactions.length}`);
  }
  return diffs.length > 0 ? `the log disagrees with the version checksum: ${diffs.join('; ')}` : undefined;
}
