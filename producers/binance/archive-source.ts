/**
 * Opens a Binance archive (zip or csv) from a local path or an http(s) URL and hands back a
 * stream of its csv bytes, after checking the published `.CHECKSUM` (sha256) when there is one.
 *
 * Memory stays constant: a remote file is streamed to a temporary file while it is hashed (a zip
 * needs random access to its central directory anyway), and the csv entry is then streamed out
 * of the zip. `close()` removes the temporary file and closes the zip; callers call it in finally.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

export type ChecksumPolicy = 'if-present' | 'require' | 'skip';
export type ChecksumOutcome = 'verified' | 'absent' | 'skipped';

export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

export class ChecksumMismatchError extends ArchiveError {
  constructor(
    readonly location: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`checksum mismatch for ${location}: published sha256 ${expected}, file has ${actual}`);
    this.name = 'ChecksumMismatchError';
  }
}

export interface OpenedArchive {
  /** The csv's bytes. */
  readonly csv: Readable;
  /** The csv's file name (the zip entry's name for zips). */
  readonly entryName: string;
  readonly checksum: ChecksumOutcome;
  close(): Promise<void>;
}

export interface OpenArchiveOptions {
  readonly checksum?: ChecksumPolicy;
  /** Per HTTP request. */
  readonly timeoutMs?: number;
}

const isUrl = (location: string) => /^https?:\/\//i.test(location);

/** The sha256 from a `.CHECKSUM` body: `<64 hex>  <file name>`. */
export function parseChecksumFile(body: string): string {
  const hex = body.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new ArchiveError(`not a sha256 CHECKSUM file: ${JSON.stringify(body.slice(0, 100))}`);
  return hex;
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * fetch, with its network failures ("fetch failed") turned into an ArchiveError that names the
 * URL and the cause (unknown host, refused, timed out), and what to try.
 */
async function fetchArchive(url: string, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    const why =
      (err as Error).name === 'TimeoutError'
        ? `no answer within ${Math.round(timeoutMs / 1000)} s`
        : cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN'
          ? `unknown host ${new URL(url).hostname}`
          : (cause?.message ?? (err as Error).message);
    throw new ArchiveError(`cannot download ${url}: ${why} (is the network reachable? a local copy can be replayed with --file <path>)`);
  }
}

async function publishedChecksum(location: string, timeoutMs: number): Promise<string | undefined> {
  const checksumLocation = `${location}.CHECKSUM`;
  if (isUrl(location)) {
    const res = await fetchArchive(checksumLocation, timeoutMs);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) throw new ArchiveError(`GET ${checksumLocation}: HTTP ${res.status}`);
    return parseChecksumFile(await res.text());
  }
  if (!fs.existsSync(checksumLocation)) return undefined;
  return parseChecksumFile(await fs.promises.readFile(checksumLocation, 'utf8'));
}

/** Streams a URL to `file`, returning the body's sha256. */
async function download(url: string, file: string, timeoutMs: number): Promise<string> {
  const res = await fetchArchive(url, timeoutMs);
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new ArchiveError(res.status === 404 ? `no such archive: ${url} (HTTP 404)` : `GET ${url}: HTTP ${res.status}`);
  }
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), hashing, fs.createWriteStream(file));
  return hash.digest('hex');
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, zip) => (err ? reject(err) : resolve(zip))),
  );
}

/** The zip's first `.csv` entry as a stream (with `decodeFileData: false`, its stored bytes as they are). */
function openCsvEntry(zip: yauzl.ZipFile, location: string, options: yauzl.ZipFileOptions = {}): Promise<{ stream: Readable; name: string; entry: yauzl.Entry }> {
  return new Promise((resolve, reject) => {
    const onEntry = (entry: yauzl.Entry) => {
      if (!entry.fileName.toLowerCase().endsWith('.csv')) {
        zip.readEntry();
        return;
      }
      zip.off('end', onEnd);
      zip.off('entry', onEntry);
      zip.openReadStream(entry, options, (err, stream) => (err ? reject(err) : resolve({ stream, name: entry.fileName, entry })));
    };
    const onEnd = () => reject(new ArchiveError(`${location} holds no .csv file`));
    zip.on('entry', onEntry);
    zip.once('end', onEnd);
    zip.once('error', reject);
    zip.readEntry();
  });
}

/**
 * Writes a local zip's csv to `out` as a gzip file without inflating it: a zip entry's deflate
 * data is the body of a gzip member, so the entry's bytes between a gzip header and a trailer of
 * its CRC-32 and size make a gzip file that a reader which inflates gzip itself (DuckDB's
 * read_csv) takes as it is. Inflating in JS and writing the csv cost more than the whole
 * parse. A stored (uncompressed) entry is written as a plain csv. Returns which one it wrote.
 */
export async function extractCsvAsGzip(zipFile: string, out: string): Promise<{ compression: 'gzip' | 'none' }> {
  const zip = await openZip(zipFile);
  try {
    const { stream, entry } = await openCsvEntry(zip, zipFile, { decodeFileData: false });
    if (entry.compressionMethod === 0) {
      await pipeline(stream, fs.createWriteStream(out));
      return { compression: 'none' };
    }
    if (entry.compressionMethod !== 8) {
      stream.destroy();
      throw new ArchiveError(`${zipFile}: the csv entry uses compression method ${entry.compressionMethod}, not deflate`);
    }
    // RFC 1952: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
    const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(entry.crc32 >>> 0, 0);
    trailer.writeUInt32LE(entry.uncompressedSize % 2 ** 32, 4);
    await pipeline(
      async function* () {
        yield header;
        yield* stream;
        yield trailer;
      },
      fs.createWriteStream(out),
    );
    return { compression: 'gzip' };
  } finally {
    zip.close();
  }
}

export async function openArchive(location: string, opts: OpenArchiveOptions = {}): Promise<OpenedArchive> {
  const policy = opts.checksum ?? 'if-present';
  const timeoutMs = opts.timeoutMs ?? 120_000;
  let tmpDir: string | undefined;
  let zip: yauzl.ZipFile | undefined;
  const cleanup = async () => {
    zip?.close();
    zip = undefined;
    if (tmpDir) await fs.promises.rm(tmpDir, { recursive: true, force: true });
    tmpDir = undefined;
  };
  try {
    let localFile = location;
    let actual: string | undefined;
    if (isUrl(location)) {
      tmpDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'marketlake-archive-'));
      localFile = path.join(tmpDir, path.basename(new URL(location).pathname) || 'archive');
      actual = await download(location, localFile, timeoutMs);
    } else if (!fs.existsSync(location)) {
      throw new ArchiveError(`no such archive file: ${location}`);
    }
    let checksum: ChecksumOutcome = 'skipped';
    if (policy !== 'skip') {
      const expected = await publishedChecksum(location, timeoutMs);
      if (expected === undefined) {
        if (policy === 'require') throw new ArchiveError(`${location}.CHECKSUM is missing and a checksum is required`);
        checksum = 'absent';
      } else {
        actual ??= await sha256OfFile(localFile);
        if (actual !== expected) throw new ChecksumMismatchError(location, expected, actual);
        checksum = 'verified';
      }
    }
    if (localFile.toLowerCase().endsWith('.zip')) {
      zip = await openZip(localFile);
      const entry = await openCsvEntry(zip, location);
      return { csv: entry.stream, entryName: entry.name, checksum, close: cleanup };
    }
    return { csv: fs.createReadStream(localFile), entryName: path.basename(localFile), checksum, close: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
