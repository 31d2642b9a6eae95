/** The archive reader against the shared files, locally and through the data.binance.vision-layout server. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { underlyingTradeCount, type TradeEvent, type Kline } from '../../common/events/index.ts';
import { startBinanceLocalServer, TRADES_2017_CSV, type BinanceLocalServer } from '../../test/support/binance/binance-local-server.ts';
import { archiveUrl } from './archive-layout.ts';
import { readArchiveKlines, readArchiveTrades, type InvalidRow } from './archive-reader.ts';
import { ChecksumMismatchError, type ChecksumOutcome } from './archive-source.ts';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

let server: BinanceLocalServer;
beforeAll(async () => {
  server = await startBinanceLocalServer();
});
afterAll(async () => server.close());

const fileLines = fs.readFileSync(TRADES_2017_CSV, 'utf8').trim().split('\n');

describe('Binance archive reader', () => {
  it('maps the 2017-08-17 trades csv to TradeEvents with the decimal strings exactly as in the file', async () => {
    const trades = await collect(readArchiveTrades(TRADES_2017_CSV));
    expect(trades).toHaveLength(3_427);
    trades.forEach((t, i) => {
      const [id, price, qty, quoteQty, timeMs, isBuyerMaker] = fileLines[i].split(',');
      expect(t).toMatchObject({
        exchange: 'binance', symbol: 'BTCUSDT', kind: 'trade', tradeId: Number(id), price, qty, quoteQty,
        tradeTimeUs: Number(timeMs) * 1000, isBuyerMaker: isBuyerMaker === 'True', source: 'archive',
      });
    });
    expect(trades[2]).toMatchObject({ tradeId: 2, price: '4261.48000000', qty: '0.07518300', quoteQty: '320.39085084', tradeTimeUs: 1_502_942_432_322_000, isBuyerMaker: false });
  });

  it('reads the same trades from a zip over HTTP and verifies its published checksum', async () => {
    let checksum: ChecksumOutcome | undefined;
    const url = archiveUrl(server.url, { symbol: 'BTCUSDT', kind: 'trades', period: 'daily', date: '2017-08-17' });
    const viaHttp = await collect(readArchiveTrades(url, { onOpen: (i) => (checksum = i.checksum) }));
    const local = await collect(readArchiveTrades(TRADES_2017_CSV));
    expect(checksum).toBe('verified');
    const strip = (t: TradeEvent) => ({ ...t, receivedAtUs: 0 });
    expect(viaHttp.map(strip)).toEqual(local.map(strip));
  });

  it('rejects an archive whose bytes do not match the published checksum, before yielding anything', async () => {
    const p = '/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2017-08-17.zip';
    const corrupt = await startBinanceLocalServer();
    try {
      corrupt.corruptChecksum(p);
      const seen: TradeEvent[] = [];
      await expect(async () => {
        for await (const t of readArchiveTrades(`${corrupt.url}${p}`)) seen.push(t);
      }).rejects.toBeInstanceOf(ChecksumMismatchError);
      expect(seen).toHaveLength(0);
    } finally {
      await corrupt.close();
    }
  });

  it('parses millisecond (2024) and microsecond (2025-01-01) klines to the same µs scale', async () => {
    const jan = await collect(readArchiveKlines(archiveUrl(server.url, { symbol: 'BTCUSDT', kind: 'klines', interval: '1m', period: 'monthly', date: '2024-01' })));
    expect(jan).toHaveLength(31 * 1440);
    expect(jan[0].openTimeUs).toBe(Date.UTC(2024, 0, 1) * 1000);
    expect(jan[0].closeTimeUs).toBe((Date.UTC(2024, 0, 1) + 59_999) * 1000);
    expect(jan.at(-1)!.openTimeUs).toBe((Date.UTC(2024, 1, 1) - 60_000) * 1000);

    const micro: Kline[] = [];
    let checksum: ChecksumOutcome | undefined;
    for await (const k of readArchiveKlines(archiveUrl(server.url, { symbol: 'BTCUSDT', kind: 'klines', interval: '1m', period: 'daily', date: '2025-01-01' }), { onOpen: (i) => (checksum = i.checksum) })) micro.push(k);
    expect(checksum).toBe('verified');
    expect(micro).toHaveLength(1_440);
    expect(micro[0]).toMatchObject({ openTimeUs: 1_735_689_600_000_000, closeTimeUs: 1_735_689_659_999_999, open: '93576.00000000', interval: '1m', symbol: 'BTCUSDT' });
    for (let i = 1; i < micro.length; i += 1) expect(micro[i].openTimeUs - micro[i - 1].openTimeUs).toBe(60_000_000);
  });

  it('keeps aggregate ids and first/last trade ids of aggTrades, covering every trade once', async () => {
    const aggs = await collect(readArchiveTrades(archiveUrl(server.url, { symbol: 'BTCUSDT', kind: 'aggTrades', period: 'daily', date: '2017-08-17' })));
    expect(aggs.length).toBeGreaterThan(100);
    expect(aggs.length).toBeLessThan(3_427);
    expect(aggs.reduce((n, a) => n + underlyingTradeCount(a), 0)).toBe(3_427);
    aggs.forEach((a, i) => {
      expect(a.kind).toBe('aggTrade');
      expect(a.tradeId).toBe(i);
      if (i > 0) expect(a.firstTradeId).toBe(aggs[i - 1].lastTradeId! + 1);
    });
    expect(aggs[0]).toMatchObject({ firstTradeId: 0, price: '4261.48000000' });
  });

  it('skips a header row, dead-letters a malformed row through onInvalidRow, and reads on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-test-'));
    try {
      const file = path.join(dir, 'ETHUSDT-trades-2025-01-02.csv');
      fs.writeFileSync(
        file,
        [
          'id,price,qty,quote_qty,time,is_buyer_maker,is_best_match',
          '100,3300.10000000,0.50000000,1650.05000000,1735776000123456,True,True',
          '101,3300.1O000000,0.50000000,1650.05000000,1735776000123457,True,True',
          '102,3300.20000000,0.10000000,330.02000000,1735776000200000,False,True',
        ].join('\n'),
      );
      const invalid: InvalidRow[] = [];
      const trades = await collect(readArchiveTrades(file, { onInvalidRow: (r) => void invalid.push(r) }));
      expect(trades.map((t) => [t.symbol, t.tradeId, t.tradeTimeUs])).toEqual([
        ['ETHUSDT', 100, 1_735_776_000_123_456],
        ['ETHUSDT', 102, 1_735_776_000_200_000],
      ]);
      expect(invalid).toHaveLength(1);
      expect(invalid[0]).toMatchObject({ line: 3, raw: '101,3300.1O000000,0.50000000,1650.05000000,1735776000123457,True,True' });
      expect(invalid[0].reason).toContain('price');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says clearly when an archive does not exist', async () => {
    await expect(collect(readArchiveTrades(`${server.url}/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2016-01-01.zip`))).rejects.toThrow(/no such archive.*404/);
  });
});
