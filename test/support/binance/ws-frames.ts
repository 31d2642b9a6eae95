/**
 * Binance websocket frames for the local test server, from real recorded data:
 * - the recorded spot combined-stream frames (cryptofeed, 2021-10-12) verbatim;
 * - spot `@trade` frames rebuilt from the real BTCUSDT trades of 2017-08-17 (archive CSV) and
 *   from the TRXUSDT trade-stream capture of 2025-03-04 (µs times), in Binance's documented
 *   frame layout, with every price and quantity string exactly as recorded.
 */
import { PAYLOADS, readSharedData } from '../recorded-payloads.ts';

export interface RecordedTrade {
  readonly symbol: string;
  readonly id: number;
  readonly price: string;
  readonly qty: string;
  /** Exchange time in the unit of the source (ms for the 2017 archive, µs for the 2025 capture). */
  readonly time: number;
  readonly isBuyerMaker: boolean;
}

/** The 3,427 real BTCUSDT trades of 2017-08-17 (ids 0..3426, ms times). */
export function btcTrades20170817(): RecordedTrade[] {
  return readSharedData(...PAYLOADS.btcTrades20170817)
    .toString('utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [id, price, qty, , time, isBuyerMaker] = line.split(',');
      return { symbol: 'BTCUSDT', id: Number(id), price, qty, time: Number(time), isBuyerMaker: isBuyerMaker === 'True' };
    });
}

/** The 10,000 TRXUSDT trades captured from the spot trade stream on 2025-03-04 (µs times). */
export function trxTrades20250304(): RecordedTrade[] {
  const [, ...rows] = readSharedData(...PAYLOADS.trxTradeStreamCsv).toString('utf8').trim().split('\n');
  return rows.map((line) => {
    const [, , , , tradeTime, symbol, id, price, qty, isBuyerMaker] = line.split(',');
    return { symbol, id: Number(id), price, qty, time: Number(tradeTime), isBuyerMaker: isBuyerMaker === '1' };
  });
}

/** A combined-stream `@trade` frame in Binance's layout. */
export function tradeFrame(t: RecordedTrade): string {
  return JSON.stringify({
    stream: `${t.symbol.toLowerCase()}@trade`,
    data: { e: 'trade', E: t.time, s: t.symbol, t: t.id, p: t.price, q: t.qty, T: t.time, m: t.isBuyerMaker, M: true },
  });
}

/** A combined-stream `@aggTrade` frame in Binance's layout. */
export function aggTradeFrame(a: RecordedTrade & { firstTradeId: number; lastTradeId: number }): string {
  return JSON.stringify({
    stream: `${a.symbol.toLowerCase()}@aggTrade`,
    data: { e: 'aggTrade', E: a.time, s: a.symbol, a: a.id, p: a.price, q: a.qty, f: a.firstTradeId, l: a.lastTradeId, T: a.time, m: a.isBuyerMaker, M: true },
  });
}

/** Recorded spot frames of every stream type (depth, bookTicker, kline, aggTrade), verbatim. */
export function recordedSpotFrames(): string[] {
  return readSharedData(...PAYLOADS.binanceSpotAllStreams).toString('utf8').trim().split('\n');
}

export function recordedSpotAggTradeFrames(): string[] {
  return readSharedData(...PAYLOADS.binanceSpotAggTrades).toString('utf8').trim().split('\n');
}
