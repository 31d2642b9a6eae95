/**
 * What can go wrong with one work item, as classes the activities branch on. The activity turns
 * them into ApplicationFailures of the same name (workflow code sees only the type name).
 */
export class BackfillItemError extends Error {
  /** Whether retrying the same request can help. */
  readonly retryable: boolean = false;
}

/** 404: the archive (or REST data) is not published yet. The partition becomes `unavailable`, not failed. */
export class ArchiveUnavailableError extends BackfillItemError {
  constructor(readonly url: string) {
    super(`not published: ${url} (HTTP 404)`);
    this.name = 'ArchiveUnavailableError';
  }
}

export class ArchiveChecksumError extends BackfillItemError {
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`checksum mismatch for ${url}: .CHECKSUM says sha256 ${expected}, the file has ${actual}`);
    this.name = 'ArchiveChecksumError';
  }
}

export class CorruptArchiveError extends BackfillItemError {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`corrupt archive ${url}: ${reason}`);
    this.name = 'CorruptArchiveError';
  }
}

/** HTTP 5xx, 429, timeouts, dropped connections: retried with backoff by Temporal. */
export class TransientFetchError extends BackfillItemError {
  override readonly retryable = true;
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`GET ${url}: ${reason}`);
    this.name = 'TransientFetchError';
  }
}

/** Type names the workflow treats as final for a partition (no retry). */
export const NON_RETRYABLE_ITEM_ERRORS = ['ArchiveChecksumError', 'CorruptArchiveError', 'ArchiveUnavailableError', 'InvalidBackfillInput', 'UnknownSymbolError'] as const;
