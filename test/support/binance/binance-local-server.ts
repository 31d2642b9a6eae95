/**
 * A local stand-in for Binance's public HTTP surfaces, built from the real reference data in
 * test/fixtures, or the full set in MARKETLAKE_REFERENCE_DATA when given (nothing outside this
 * machine is reachable in tests):
 *
 * - data.binance.vision: `/data/spot/{daily,monthly}/{trades,aggTrades,klines}/...` zips and
 *   their `.CHECKSUM` files. The 2017-08-17 trades and klines csvs are zipped on the fly as the
 *   site packs them; the aggTrades of that day are aggregated from its real trades (consecutive
 *   trades of one taker side at one price in one millisecond).
 * - api.binance.com: `/api/v3/ping`, `/api/v3/aggTrades` and `/api/v3/klines` answered from the
 *   same data with Binance's parameters, limits, weights (`X-MBX-USED-WEIGHT-1m`) and errors
 *   (`{"code":-1121,"msg":"Invalid symbol."}`); scripted 429 / 418 answers with Retry-After.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSingleFile } from '../zip-writer.ts';
import { FIXTURES_DIR, referenceDataDir } from '../../fixtures/paths.ts';

/** The full reference set when configured (all of 2024's klines, for benchmarks), else the repository's fixtures. */
export const REFERENCE_DATA_DIR = referenceDataDir() ?? FIXTURES_DIR;
export const TRADES_2017_CSV = path.join(REFERENCE_DATA_DIR, 'binance/btcusdt-spot-2017-08-17-trades-and-1m-klines/BTCUSDT-trades-2017-08-17.csv');
export const KLINES_2017_CSV = path.join(REFERENCE_DATA_DIR, 'binance/btcusdt-spot-2017-08-17-trades-and-1m-klines/BTCUSDT-1m-2017-08-17.csv');
export const KLINES_2024_DIR = path.join(REFERENCE_DATA_DIR, 'binance/btcusdt-spot-1m-klines-2024');
export const KLINES_2025_01_01_ZIP = path.join(REFERENCE_DATA_DIR, 'binance/btcusdt-spot-1m-klines-2025-01-01-microseconds/BTCUSDT-1m-2025-01-01.zip');

export interface ScriptedFailure {
  readonly status: 429 | 418 | 500 | 503;
  readonly retryAfterSeconds?: number;
}

export interface BinanceLocalServer {
  readonly url: string;
  /** Requests seen, path and query, in order. */
  readonly requests: { path: string; query: URLSearchParams; at: number }[];
  /** The next requests to `path` fail with these answers, in order. */
  failNext(path: string, failures: readonly ScriptedFailure[]): void;
  /** Serve a wrong `.CHECKSUM` for this archive path (e.g. to test rejection). */
  corruptChecksum(archivePath: string): void;
  /** Serve these bytes at an archive path (its `.CHECKSUM` is computed from them), e.g. a damaged zip. */
  serveArchive(archivePath: string, body: Buffer): void;
  /** Hold the next responses to `path` for `ms` before answering (a slow download, to cancel one mid-run). */
  delayNext(path: string, ms: number, times?: number): void;
  close(): Promise<void>;
}

interface RawTrade {
  id: number;
  price: string;
  qty: string;
  timeMs: number;
  isBuyerMaker: boolean;
}

interface AggTrade {
  a: number;
  p: string;
  q: string;
  f: number;
  l: number;
  T: number;
  m: boolean;
  M: boolean;
}

/** Exact sum of two decimal strings (aggregating quantities for the aggTrades fixture). */
function addDecimals(a: string, b: string): string {
  const scale = Math.max(a.split('.')[1]?.length ?? 0, b.split('.')[1]?.length ?? 0);
  const toInt = (s: string) => BigInt(s.replace('.', '') + '0'.repeat(scale - (s.split('.')[1]?.length ?? 0)));
  const sum = (toInt(a) + toInt(b)).toString().padStart(scale + 1, '0');
  return scale ? `${sum.slice(0, -scale)}.${sum.slice(-scale)}` : sum;
}

function loadTrades2017(): RawTrade[] {
  return fs
    .readFileSync(TRADES_2017_CSV, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const f = line.split(',');
      return { id: Number(f[0]), price: f[1], qty: f[2], timeMs: Number(f[4]), isBuyerMaker: f[5] === 'True' };
    });
}

/** Binance aggregates the fills of one taker order at one price; consecutive same-ms same-side same-price trades approximate that. */
export function aggregateTrades(trades: readonly RawTrade[]): AggTrade[] {
  const out: AggTrade[] = [];
  for (const t of trades) {
    const last = out[out.length - 1];
    if (last && last.T === t.timeMs && last.p === t.price && last.m === t.isBuyerMaker && last.l === t.id - 1) {
      last.q = addDecimals(last.q, t.qty);
      last.l = t.id;
    } else {
      out.push({ a: out.length, p: t.price, q: t.qty, f: t.id, l: t.id, T: t.timeMs, m: t.isBuyerMaker, M: true });
    }
  }
  return out;
}

function aggTradesCsv(aggs: readonly AggTrade[]): string {
  return `${aggs.map((a) => [a.a, a.p, a.q, a.f, a.l, a.T, a.m ? 'True' : 'False', 'True'].join(',')).join('\n')}\n`;
}

/** Klines rows (as Binance's arrays) of the 2017 day, for /api/v3/klines. */
function loadKlines2017(): (string | number)[][] {
  return fs
    .readFileSync(KLINES_2017_CSV, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const f = line.split(',');
      return [Number(f[0]), f[1], f[2], f[3], f[4], f[5], Number(f[6]), f[7], Number(f[8]), f[9], f[10], f[11]];
    });
}

const INTERVAL_MS: Record<string, number> = { '1m': 60_000 };

export async function startBinanceLocalServer(opts: { weightLimitPerMinute?: number } = {}): Promise<BinanceLocalServer> {
  const trades = loadTrades2017();
  const aggs = aggregateTrades(trades);
  const klines = loadKlines2017();
  const weightLimit = opts.weightLimitPerMinute ?? 6000;
  const archives = new Map<string, () => Buffer>();
  const cache = new Map<string, Buffer>();
  const lazy = (key: string, build: () => Buffer) => () => {
    let b = cache.get(key);
    if (!b) cache.set(key, (b = build()));
    return b;
  };
  archives.set('/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2017-08-17.zip', lazy('t', () => zipSingleFile('BTCUSDT-trades-2017-08-17.csv', fs.readFileSync(TRADES_2017_CSV))));
  archives.set('/data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2017-08-17.zip', lazy('a', () => zipSingleFile('BTCUSDT-aggTrades-2017-08-17.csv', Buffer.from(aggTradesCsv(aggs)))));
  archives.set('/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2017-08-17.zip', lazy('k', () => zipSingleFile('BTCUSDT-1m-2017-08-17.csv', fs.readFileSync(KLINES_2017_CSV))));
  archives.set('/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-01.zip', () => fs.readFileSync(KLINES_2025_01_01_ZIP));
  if (fs.existsSync(KLINES_2024_DIR)) {
    for (const f of fs.readdirSync(KLINES_2024_DIR).filter((n) => n.endsWith('.zip'))) {
      archives.set(`/data/spot/monthly/klines/BTCUSDT/1m/${f}`, () => fs.readFileSync(path.join(KLINES_2024_DIR, f)));
    }
  }
  const corrupted = new Set<string>();
  const delays = new Map<string, { ms: number; times: number }>();
  const failures = new Map<string, ScriptedFailure[]>();
  const requests: BinanceLocalServer['requests'] = [];
  let weightMinute = 0;
  let weightUsed = 0;

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const apiError = (res: http.ServerResponse, status: number, code: number, msg: string, headers: Record<string, string> = {}) =>
    json(res, status, { code, msg }, headers);

  const server = http.createServer((req, res) => {
    const delay = delays.get(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (delay && delay.times > 0) {
      delay.times -= 1;
      setTimeout(() => handle(req, res), delay.ms);
      return;
    }
    handle(req, res);
  });
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    const q = url.searchParams;
    requests.push({ path: p, query: q, at: Date.now() });

    const scripted = failures.get(p)?.shift();
    if (scripted) {
      const headers: Record<string, string> = scripted.retryAfterSeconds !== undefined ? { 'retry-after': String(scripted.retryAfterSeconds) } : {};
      const msg = scripted.status === 418 ? 'Way too many requests; IP banned.' : scripted.status === 429 ? 'Too many requests.' : 'Internal error.';
      return apiError(res, scripted.status, scripted.status === 429 || scripted.status === 418 ? -1003 : -1000, msg, headers);
    }

    if (p.startsWith('/data/')) {
      const isChecksum = p.endsWith('.CHECKSUM');
      const archivePath = isChecksum ? p.slice(0, -'.CHECKSUM'.length) : p;
      const build = archives.get(archivePath);
      if (!build) {
        res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
        return;
      }
      const body = build();
      if (isChecksum) {
        let sha = createHash('sha256').update(body).digest('hex');
        if (corrupted.has(archivePath)) sha = createHash('sha256').update('not the file').digest('hex');
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`${sha}  ${path.posix.basename(archivePath)}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(body.length) }).end(body);
      return;
    }

    if (!p.startsWith('/api/v3/')) return apiError(res, 404, -1000, 'Not found.');
    const weight = p === '/api/v3/aggTrades' ? 4 : p === '/api/v3/klines' ? 2 : 1;
    const minute = Math.floor(Date.now() / 60_000);
    if (minute !== weightMinute) {
      weightMinute = minute;
      weightUsed = 0;
    }
    if (weightUsed + weight > weightLimit) {
      const retryAfter = String(Math.max(1, Math.ceil(((minute + 1) * 60_000 - Date.now()) / 1000)));
      return apiError(res, 429, -1003, 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE.', { 'retry-after': retryAfter, 'x-mbx-used-weight-1m': String(weightUsed) });
    }
    weightUsed += weight;
    const headers = { 'x-mbx-used-weight-1m': String(weightUsed), 'x-mbx-used-weight': String(weightUsed) };

    if (p === '/api/v3/ping') return json(res, 200, {}, headers);
    const symbol = q.get('symbol');
    if (!symbol) return apiError(res, 400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.", headers);
    if (symbol !== 'BTCUSDT') return apiError(res, 400, -1121, 'Invalid symbol.', headers);
    const limit = Math.min(Number(q.get('limit') ?? 500), 1000);
    const num = (name: string) => (q.has(name) ? Number(q.get(name)) : undefined);
    const startTime = num('startTime');
    const endTime = num('endTime');

    if (p === '/api/v3/aggTrades') {
      const fromId = num('fromId');
      if (startTime !== undefined && endTime !== undefined && endTime - startTime > 3_600_000) {
        return apiError(res, 400, -1127, 'More than 1 hours between startTime and endTime.', headers);
      }
      let rows: AggTrade[];
      if (fromId !== undefined) rows = aggs.filter((a) => a.a >= fromId && (endTime === undefined || a.T <= endTime));
      else if (startTime !== undefined || endTime !== undefined) rows = aggs.filter((a) => (startTime === undefined || a.T >= startTime) && (endTime === undefined || a.T <= endTime));
      else rows = aggs.slice(-limit);
      return json(res, 200, rows.slice(0, limit), headers);
    }
    if (p === '/api/v3/klines') {
      const interval = q.get('interval') ?? '';
      if (!INTERVAL_MS[interval]) return apiError(res, 400, -1120, 'Invalid interval.', headers);
      const rows = klines.filter((k) => (startTime === undefined || (k[0] as number) >= startTime) && (endTime === undefined || (k[0] as number) <= endTime));
      return json(res, 200, startTime === undefined && endTime !== undefined ? rows.slice(-limit) : rows.slice(0, limit), headers);
    }
    return apiError(res, 404, -1000, 'Not found.', headers);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (p, list) => failures.set(p, [...(failures.get(p) ?? []), ...list]),
    corruptChecksum: (p) => corrupted.add(p.startsWith('/') ? p : `/${p}`),
    serveArchive: (p, body) => archives.set(p.startsWith('/') ? p : `/${p}`, () => body),
    delayNext: (p, ms, times = 1) => delays.set(p.startsWith('/') ? p : `/${p}`, { ms, times }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
