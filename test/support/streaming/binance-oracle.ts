/**
 * The 2017-08-17 BTCUSDT oracle (test/fixtures/binance/btcusdt-spot-2017-08-17-trades-and-1m-klines):
 * 3,427 real trades and Binance's official 1m klines for the same day, loaded for tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { TRADES_2017_DIR } from '../../fixtures/paths.ts';
import type { TradeEvent } from '../../../common/events/index.ts';
import { parseKlinesCsv, type BinanceKline } from '../archive-oracle.ts';

export type { BinanceKline };

export const ORACLE_DIR = TRADES_2017_DIR;
export const ORACLE_TRADES_FILE = path.join(ORACLE_DIR, 'BTCUSDT-trades-2017-08-17.csv');
export const ORACLE_KLINES_FILE = path.join(ORACLE_DIR, 'BTCUSDT-1m-2017-08-17.csv');

export function loadOracleTrades(receivedAtUs = 1_700_000_000_000_000): TradeEvent[] {
  const rows = parse(fs.readFileSync(ORACLE_TRADES_FILE, 'utf8'), { columns: false }) as string[][];
  return rows.map(([id, price, qty, quoteQty, time, isBuyerMaker]) => ({
    v: 1,
    exchange: 'binance',
    symbol: 'BTCUSDT',
    kind: 'trade',
    tradeId: Number(id),
    price,
    qty,
    quoteQty,
    isBuyerMaker: isBuyerMaker === 'True',
    tradeTimeUs: Number(time) * 1000,
    receivedAtUs,
    source: 'archive',
  }));
}

export function loadOracleKlines(): BinanceKline[] {
  return parseKlinesCsv(fs.readFileSync(ORACLE_KLINES_FILE, 'utf8'));
}

/**
 * A trade of another symbol just after the oracle day, so that event time passes 2017-08-18
 * 00:00 and the last (empty) minute 23:59 becomes final, as it was for Binance when the day ended.
 */
export function dayEndSentinel(receivedAtUs = 1_700_000_000_000_000): TradeEvent {
  return {
    v: 1,
    exchange: 'binance',
    symbol: 'SENTINELUSDT',
    kind: 'trade',
    tradeId: 1,
    price: '1.00000000',
    qty: '1.00000000',
    quoteQty: '1.00000000',
    isBuyerMaker: false,
    tradeTimeUs: Date.UTC(2017, 7, 18, 0, 0, 10) * 1000,
    receivedAtUs,
    source: 'archive',
  };
}
