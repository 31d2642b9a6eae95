/**
 * The lake never answers silently wrong (issue 11, item 7): each kind of damage to the newest
 * commit of `bronze/trades` — its last line dropped, the file emptied, the file cut in the middle
 * of a line — makes reading that table fail with a CorruptLogError naming the table and the
 * version, both for a fresh reader and for a handle that was already open (a running stream),
 * while the other tables stay readable through the same query engine. Vacuum clears the
 * temporary files a crashed writer leaves in `_delta_log`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptLogError, DeltaTable, Lake, LakeQueryEngine, tickerEventToRow, vacuum, type VersionChecksum } from './index.ts';
import { syntheticTrades } from '../test/support/lake/synthetic-trades.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';

afterAll(removeTmpDirs);

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

/**
 * A lake with trades in two commits and one ticker; `appendNewest()` adds a third trades commit
 * (one file per symbol, and a stream position) and returns its version and commit file.
 */
async function lakeWithData() {
  const lake = new Lake(tmpLakeDir());
  const trades = await lake.table('bronze/trades');
  await trades.append(syntheticTrades({ count: 30, symbols: SYMBOLS }), { txn: [{ appId: 'stream:g:trades:0', version: 30 }] });
  await trades.append(syntheticTrades({ count: 30, symbols: SYMBOLS, firstTradeId: 100 }), { txn: [{ appId: 'stream:g:trades:0', version: 60 }] });
  const tickers = await lake.table('bronze/tickers');
  await tickers.append([
    tickerEventToRow({ v: 1, source: 'coingecko', coinId: 'bitcoin', symbol: 'BTC', vsCurrency: 'usd', price: '64000.5', sourceTimeUs: 1_700_000_000_000_000, receivedAtUs: 1_700_000_000_000_001 }),
  ]);
  const appendNewest = async () => {
    const newest = await trades.append(syntheticTrades({ count: 30, symbols: SYMBOLS, firstTradeId: 200 }), { txn: [{ appId: 'stream:g:trades:0', version: 90 }] });
    return { version: newest.version, commitFile: path.join(trades.dir, '_delta_log', `${String(newest.version).padStart(20, '0')}.json`) };
  };
  return { lake, trades, appendNewest };
}

const damages: Record<string, (file: string) => void> = {
  'its last line dropped': (file) => {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    fs.writeFileSync(file, lines.slice(0, -1).join('\n') + '\n');
  },
  'an empty (0-byte) commit file': (file) => fs.writeFileSync(file, ''),
  'the commit cut in the middle of a line': (file) => {
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.length - 40));
  },
};

async function expectDamaged(p: Promise<unknown>, version: number): Promise<CorruptLogError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorruptLogError);
  const e = err as CorruptLogError;
  expect(e.table).toBe('bronze/trades');
  expect(e.version).toBe(version);
  expect(e.message).toContain(`table bronze/trades: version ${version}`);
  return e;
}

describe('a damaged Delta log', () => {
  it('each commit records its version checksum, in the protocol’s fields', async () => {
    const { trades, appendNewest } = await lakeWithData();
    const { version } = await appendNewest();
    const crc = JSON.parse(fs.readFileSync(path.join(trades.dir, '_delta_log', `${String(version).padStart(20, '0')}.crc`), 'utf8')) as VersionChecksum;
    const snap = trades.snapshot();
    expect(crc.numFiles).toBe(snap.files.size);
    expect(crc.tableSizeBytes).toBe([...snap.files.values()].reduce((n, f) => n + f.size, 0));
    expect(crc.numMetadata).toBe(1);
    expect(crc.numProtocol).toBe(1);
    expect(crc.metadata.id).toBe(snap.metadata.id);
    expect(crc.protocol).toEqual(snap.protocol);
    expect(crc.setTransactions?.map((t) => [t.appId, t.version])).toEqual([['stream:g:trades:0', 90]]);
    expect(fs.existsSync(path.join(trades.dir, '_delta_log', `${'0'.repeat(20)}.crc`))).toBe(true);
  });

  for (const [damage, apply] of Object.entries(damages)) {
    it(`with ${damage}: the table fails naming itself and the version; other tables answer`, async () => {
      const { lake, trades, appendNewest } = await lakeWithData();
      // Readers that are running while the writer commits: a table handle (e.g. a stream that
      // resumes from the lake) and a query engine (the API) in other processes' shoes.
      const follower = await DeltaTable.open(trades.dir);
      const engine = await LakeQueryEngine.open({ lake: lake.root });
      try {
        expect((await engine.query('SELECT count(*) AS n FROM bronze_trades')).rows[0].n).toBe('60');
        const { version, commitFile } = await appendNewest();
        apply(commitFile);

        // A fresh reader, the open handle reading the new commit, a new lake's handle.
        await expectDamaged(DeltaTable.open(trades.dir), version);
        await expectDamaged(follower.refresh(), version);
        await expectDamaged(new Lake(lake.root).table('bronze/trades'), version);

        // The engine: that view fails with the error, the other tables keep answering.
        await engine.refresh();
        await expectDamaged(engine.query('SELECT count(*) AS n FROM bronze_trades'), version);
        await expectDamaged(engine.query(`SELECT count(*) AS n FROM bronze_trades WHERE symbol = 'BTCUSDT'`), version);
        expect((await engine.query('SELECT count(*) AS n FROM bronze_tickers')).rows[0].n).toBe('1');
        expect((await engine.query('SELECT count(*) AS n FROM silver_candles')).rows[0].n).toBe('0');

        const fresh = await LakeQueryEngine.open({ lake: lake.root });
        try {
          await expectDamaged(fresh.query('SELECT count(*) AS n FROM bronze_trades'), version);
          expect((await fresh.query('SELECT price FROM bronze_tickers')).rows[0].price).toBe('64000.500000000000000000');
        } finally {
          fresh.close();
        }
      } finally {
        engine.close();
      }
    });
  }

  it('vacuum removes the temporary files a crashed writer left in _delta_log, not a live one', async () => {
    const { trades, appendNewest } = await lakeWithData();
    await appendNewest();
    const logDir = path.join(trades.dir, '_delta_log');
    const crashed = path.join(logDir, '.tmp-6c1f3a52-crashed.json');
    const live = path.join(logDir, '.tmp-0d9e2b11-live.json');
    fs.writeFileSync(crashed, '{"commitInfo":{}}\n');
    fs.writeFileSync(live, '{"commitInfo":{}}\n');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    fs.utimesSync(crashed, anHourAgo, anHourAgo);
    const result = await vacuum(trades, { retentionHours: 0 });
    expect(result.deleted).toContain('_delta_log/.tmp-6c1f3a52-crashed.json');
    expect(fs.existsSync(crashed)).toBe(false);
    expect(fs.existsSync(live)).toBe(true); // seconds old: may be a writer's commit in flight
    expect((await DeltaTable.open(trades.dir)).snapshot().numRecords()).toBe(90);
  });
});
