/**
 * The archive cache against a real local HTTP server: a download cut off halfway resumes with a
 * Range request (only the rest crosses the wire), a server without Range support is read again
 * from the start, and a `.part` another live process is writing is never adopted.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveCache } from './archive-cache.ts';
import { TransientFetchError } from './errors.ts';

const BODY = randomBytes(3 * 1024 * 1024);
const SHA = createHash('sha256').update(BODY).digest('hex');
const ETAG = `"${SHA.slice(0, 16)}"`;

interface Served {
  readonly url: string;
  /** Each request for the archive: its Range header and the bytes sent. */
  readonly requests: { range?: string; sent: number }[];
  close(): Promise<void>;
}

/**
 * Serves one archive and its CHECKSUM. `cutAfter`: the first response is dropped after that many
 * bytes (the connection reset mid-body). `ranges`: whether Range/If-Range are honoured.
 */
async function serve(opts: { cutAfter?: number; ranges: boolean }): Promise<Served> {
  const requests: { range?: string; sent: number }[] = [];
  const server = http.createServer((req, res) => {
    if (req.url?.endsWith('.CHECKSUM')) {
      res.end(`${SHA}  BTCUSDT-1m-2024-01.zip\n`);
      return;
    }
    const entry: { range?: string; sent: number } = { range: req.headers.range, sent: 0 };
    requests.push(entry);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = opts.ranges && m && req.headers['if-range'] === ETAG ? Number(m[1]) : 0;
    const headers = { ETag: ETAG, 'Content-Type': 'application/zip', 'Content-Length': String(BODY.length - start) };
    if (start > 0) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${BODY.length - 1}/${BODY.length}` });
    else res.writeHead(200, headers);
    const slice = BODY.subarray(start);
    if (opts.cutAfter !== undefined && requests.length === 1) {
      entry.sent = opts.cutAfter;
      res.write(slice.subarray(0, opts.cutAfter), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    entry.sent = slice.length;
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempCache(): ArchiveCache & { dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-cache-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return Object.assign(new ArchiveCache({ cacheDir: dir, timeoutMs: 10_000 }), { dir });
}

const partsOf = (cache: ArchiveCache, url: string) => {
  const file = cache.pathFor(url);
  return fs.existsSync(path.dirname(file)) ? fs.readdirSync(path.dirname(file)).filter((n) => n.endsWith('.part')) : [];
};

describe('archive cache', () => {
  it('resumes a download cut off halfway with a Range request, and the whole file matches its CHECKSUM', async () => {
    const served = await serve({ cutAfter: 1_200_000, ranges: true });
    cleanups.push(() => served.close());
    const cache = tempCache();
    await expect(cache.get(served.url)).rejects.toBeInstanceOf(TransientFetchError);
    const parts = partsOf(cache, served.url);
    expect(parts).toHaveLength(1);
    const kept = fs.statSync(path.join(path.dirname(cache.pathFor(served.url)), parts[0])).size;
    expect(kept).toBeGreaterThan(0);

    const got = await cache.get(served.url);
    expect(got).toMatchObject({ downloaded: true, checksum: 'verified', bytes: BODY.length });
    expect(fs.readFileSync(got.file).equals(BODY)).toBe(true);
    expect(served.requests[1]).toEqual({ range: `bytes=${kept}-`, sent: BODY.length - kept });
    expect(partsOf(cache, served.url)).toEqual([]);
  });

  it('reads the whole file again from a server that ignores Range', async () => {
    const served = await serve({ cutAfter: 1_000_000, ranges: false });
    cleanups.push(() => served.close());
    const cache = tempCache();
    await expect(cache.get(served.url)).rejects.toBeInstanceOf(TransientFetchError);
    const got = await cache.get(served.url);
    expect(fs.readFileSync(got.file).equals(BODY)).toBe(true);
    expect(got.checksum).toBe('verified');
    expect(served.requests[1].sent).toBe(BODY.length);
  });

  it("never adopts the .part of a process that is still alive; adopts it once that process is gone", async () => {
    const served = await serve({ ranges: true });
    cleanups.push(() => served.close());
    const cache = tempCache();
    const file = cache.pathFor(served.url);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    cleanups.push(() => void other.kill('SIGKILL'));
    const foreign = `${file}.${other.pid}.1.part`;
    fs.writeFileSync(foreign, BODY.subarray(0, 500_000));
    fs.writeFileSync(`${foreign}.json`, JSON.stringify({ url: served.url, validator: ETAG }));

    const first = await cache.get(served.url);
    expect(fs.readFileSync(first.file).equals(BODY)).toBe(true);
    expect(served.requests[0].range).toBeUndefined();
    expect(fs.existsSync(foreign)).toBe(true);

    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    await cache.evict(served.url);
    const second = await cache.get(served.url);
    expect(fs.readFileSync(second.file).equals(BODY)).toBe(true);
    expect(served.requests[1].range).toBe('bytes=500000-');
    expect(fs.existsSync(foreign)).toBe(false);
  });
});
