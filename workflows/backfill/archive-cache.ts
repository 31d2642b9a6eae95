/**
 * Downloads Binance archives once into a local cache (BACKFILL_CACHE_DIR, mirroring the site's
 * paths), verified against the published `.CHECKSUM` when there is one. A file lands in the
 * cache only after it was verified (written to `.part`, then renamed), so a crash mid-download
 * never leaves a bad file that a later run would trust. Progress is reported per chunk.
 *
 * A download cut off halfway (a dropped connection, a timeout, a worker killed with -9) keeps its
 * `.part`, and the next attempt asks only for the rest (an HTTP Range request guarded by
 * `If-Range` with the first response's ETag or Last-Modified); a server that answers with the
 * whole file instead (no Range support, or the file changed) is read from the start. The
 * checksum covers the whole file either way. A `.part` is named after the process writing it:
 * another process adopts it only once that one is gone, so two never append to one file.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArchiveChecksumError, ArchiveUnavailableError, CorruptArchiveError, TransientFetchError } from './errors.ts';

export type FetchLike = typeof fetch;

export interface CachedArchive {
  readonly file: string;
  readonly bytes: number;
  /** Whether this call downloaded it (false: it was in the cache). */
  readonly downloaded: boolean;
  readonly checksum: 'verified' | 'absent';
}

export interface ArchiveCacheOptions {
  readonly cacheDir: string;
  readonly fetch?: FetchLike;
  readonly timeoutMs?: number;
  readonly onProgress?: (p: { url: string; bytes: number; totalBytes?: number }) => void;
}

function parseChecksum(url: string, body: string): string {
  const hex = body.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new CorruptArchiveError(`${url}.CHECKSUM`, `not a sha256 CHECKSUM file: ${JSON.stringify(body.slice(0, 80))}`);
  return hex;
}

function transient(url: string, err: unknown): TransientFetchError {
  const e = err as Error;
  return new TransientFetchError(url, e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timed out' : e.message);
}

/** A `.part` being written: `<file>.<pid>.<n>.part`, with its validator in `<part>.json`. */
interface PartMeta {
  readonly url: string;
  /** ETag, or Last-Modified when the server gave no ETag: the If-Range validator. */
  readonly validator?: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parts this process is writing now (a retry in the same process may adopt its own leftover, never a live one). */
const partsInUse = new Set<string>();
let partCounter = 0;

export class ArchiveCache {
  private readonly fetch: FetchLike;
  constructor(private readonly opts: ArchiveCacheOptions) {
    this.fetch = opts.fetch ?? fetch;
  }

  /** Where `url` lives in the cache (its path below the host). */
  pathFor(url: string): string {
    const u = new URL(url);
    return path.join(this.opts.cacheDir, u.host.replace(/[^A-Za-z0-9.-]/g, '_'), decodeURIComponent(u.pathname));
  }

  /** Drops a cached file (after it turned out to be unreadable). */
  async evict(url: string): Promise<void> {
    const file = this.pathFor(url);
    await fs.promises.rm(file, { force: true });
    await fs.promises.rm(`${file}.sha256`, { force: true });
  }

  /** The archive from the cache, or downloaded and verified; `signal` aborts the download (cancellation). */
  async get(url: string, signal?: AbortSignal): Promise<CachedArchive> {
    const file = this.pathFor(url);
    if (fs.existsSync(file)) {
      const size = (await fs.promises.stat(file)).size;
      return { file, bytes: size, downloaded: false, checksum: fs.existsSync(`${file}.sha256`) ? 'verified' : 'absent' };
    }
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const expected = await this.publishedChecksum(url, signal);
    const part = await this.claimPart(file);
    let keepPart = false;
    try {
      const { sha, bytes } = await this.download(url, part, signal);
      if (expected !== undefined && sha !== expected) throw new ArchiveChecksumError(url, expected, sha);
      if (expected !== undefined) await fs.promises.writeFile(`${file}.sha256`, `${sha}  ${path.basename(file)}\n`);
      await fs.promises.rename(part, file);
      return { file, bytes, downloaded: true, checksum: expected === undefined ? 'absent' : 'verified' };
    } catch (err) {
      // Only an interrupted transfer is worth resuming; what was read of a bad file is not.
      keepPart = err instanceof TransientFetchError;
      throw err;
    } finally {
      partsInUse.delete(part);
      if (!keepPart) await Promise.all([fs.promises.rm(part, { force: true }), fs.promises.rm(`${part}.json`, { force: true })]);
    }
  }

  /**
   * The `.part` this download writes: a leftover of this file whose writer is gone (renamed to
   * ours, atomically, so only one process adopts it), or a new name.
   */
  private async claimPart(file: string): Promise<string> {
    const dir = path.dirname(file);
    const prefix = `${path.basename(file)}.`;
    const part = `${file}.${process.pid}.${++partCounter}.part`;
    const leftovers = (await fs.promises.readdir(dir)).filter((n) => n.startsWith(prefix) && n.endsWith('.part'));
    for (const name of leftovers) {
      const candidate = path.join(dir, name);
      const pid = Number(name.slice(prefix.length).split('.')[0]);
      if (partsInUse.has(candidate) || (pid !== process.pid && processAlive(pid))) continue;
      try {
        await fs.promises.rename(candidate, part);
      } catch {
        continue; // another process adopted it first
      }
      await fs.promises.rename(`${candidate}.json`, `${part}.json`).catch(() => undefined);
      break;
    }
    partsInUse.add(part);
    return part;
  }

  private async request(url: string, signal?: AbortSignal, headers?: Record<string, string>): Promise<Response> {
    let res: Response;
    try {
      const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 120_000);
      res = await this.fetch(url, { headers, signal: signal ? AbortSignal.any([timeout, signal]) : timeout });
    } catch (err) {
      throw transient(url, err);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      throw new ArchiveUnavailableError(url);
    }
    if (!res.ok) {
      await res.body?.cancel();
      // 5xx and 429 are the server's trouble; other 4xx are ours and will not get better.
      if (res.status >= 500 || res.status === 429) throw new TransientFetchError(url, `HTTP ${res.status}`);
      throw new CorruptArchiveError(url, `HTTP ${res.status}`);
    }
    return res;
  }

  private async publishedChecksum(url: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const res = await this.request(`${url}.CHECKSUM`, signal);
      return parseChecksum(url, await res.text());
    } catch (err) {
      if (err instanceof ArchiveUnavailableError) return undefined;
      throw err;
    }
  }

  /** What a leftover `.part` holds that a Range request can continue: its size and validator, or nothing. */
  private async resumable(url: string, part: string): Promise<{ offset: number; validator: string } | undefined> {
    try {
      const meta = JSON.parse(await fs.promises.readFile(`${part}.json`, 'utf8')) as PartMeta;
      const offset = (await fs.promises.stat(part)).size;
      return meta.url === url && meta.validator && offset > 0 ? { offset, validator: meta.validator } : undefined;
    } catch {
      return undefined;
    }
  }

  private async download(url: string, file: string, signal?: AbortSignal): Promise<{ sha: string; bytes: number }> {
    const resume = await this.resumable(url, file);
    const res = await this.request(url, signal, resume ? { Range: `bytes=${resume.offset}-`, 'If-Range': resume.validator } : undefined);
    if (!res.body) throw new TransientFetchError(url, 'empty body');
    const hash = createHash('sha256');
    let bytes = 0;
    // 206 from where the part ends: hash what is there and append; anything else is the whole file.
    const continued = resume !== undefined && res.status === 206 && res.headers.get('content-range')?.startsWith(`bytes ${resume.offset}-`) === true;
    if (continued) {
      for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
      bytes = resume.offset;
    }
    const total = continued ? Number(res.headers.get('content-range')!.split('/')[1] ?? NaN) : Number(res.headers.get('content-length') ?? NaN);
    const validator = res.headers.get('etag') ?? res.headers.get('last-modified') ?? undefined;
    if (!continued) await fs.promises.writeFile(`${file}.json`, JSON.stringify({ url, validator } satisfies PartMeta));
    let lastReport = 0;
    const counting = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        hash.update(chunk);
        bytes += chunk.length;
        if (Date.now() - lastReport > 500) {
          lastReport = Date.now();
          this.opts.onProgress?.({ url, bytes, totalBytes: Number.isFinite(total) ? total : undefined });
        }
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), counting, fs.createWriteStream(file, { flags: continued ? 'a' : 'w' }));
    } catch (err) {
      throw transient(url, err);
    }
    if (Number.isFinite(total) && bytes !== total) throw new TransientFetchError(url, `connection closed after ${bytes} of ${total} bytes`);
    this.opts.onProgress?.({ url, bytes, totalBytes: bytes });
    return { sha: hash.digest('hex'), bytes };
  }
}
