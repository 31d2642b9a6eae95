/**
 * Must show 4 (issue 14), the backfill's half: the day gold/coverage flags is the day the
 * `missing` mode plans. Three real days of BTCUSDT 1m klines (2024-01-06..08): the 6th whole, the
 * 7th with its 10:00 hour deleted and its 14:00 hour emptied of trades, the 8th with only its
 * 14:00 hour emptied. The ledger shows 60 missing + 60 quiet minutes on the 7th and 60 quiet on
 * the 8th; the `missing` mode plans the 7th only (a quiet minute is not a gap) and skips the
 * others, exactly the days whose ledger row has missing minutes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/logger.ts';
import { Lake, LakeQueryEngine } from '../../lake/index.ts';
import { MODELS, runTransforms } from '../../transforms/index.ts';
import { startBinanceLocalServer, type BinanceLocalServer } from '../../test/support/binance/binance-local-server.ts';
import { KLINES_2024_DIR } from '../../test/fixtures/paths.ts';
import { extractZipCsv, loadKlinesIntoSilver } from '../../test/support/lake-loaders.ts';
import { removeTmpDirs, tmpLakeDir } from '../../test/support/lake/tmp.ts';
import { HOUR_MS, klinesWithHoles } from '../../test/support/transforms/coverage-gaps.ts';
import { loadWorkerConfig } from '../config.ts';
import { planBackfill } from './runner.ts';

const DAY6 = Date.parse('2024-01-06T00:00:00Z');
const DAY7 = DAY6 + 86_400_000;
const DAY8 = DAY7 + 86_400_000;
const NOW = Date.parse('2024-02-01T00:00:00Z');

let binance: BinanceLocalServer;
let lake: Lake;

beforeAll(async () => {
  binance = await startBinanceLocalServer();
  const csv = await extractZipCsv(path.join(KLINES_2024_DIR, 'BTCUSDT-1m-2024-01.zip'), tmpLakeDir('klines-'));
  lake = new Lake(tmpLakeDir('missing-plan-'));
  await loadKlinesIntoSilver(lake, csv, klinesWithHoles(DAY6, DAY8 + 86_400_000, { deleted: [DAY7 + 10 * HOUR_MS], quiet: [DAY7 + 14 * HOUR_MS, DAY8 + 14 * HOUR_MS] }));
  fs.rmSync(csv);
});

afterAll(async () => {
  await binance?.close();
  removeTmpDirs();
});

describe("the backfill's missing mode and gold/coverage", () => {
  it('plans exactly the day the ledger shows missing minutes on; quiet minutes are not gaps', async () => {
    const built = await runTransforms(lake, MODELS, { select: ['coverage'], nowUs: NOW * 1000 });
    expect(built.models.map((m) => [m.model, m.status, m.error])).toEqual([['coverage', 'success', undefined]]);
    const engine = await LakeQueryEngine.open({ lake });
    const ledger = await (async () => {
      try {
        return (await engine.query(`SELECT CAST("date" AS VARCHAR) AS day, candles_present, quiet_minutes, missing_minutes FROM gold_coverage WHERE layer = 'silver' ORDER BY 1`)).rows;
      } finally {
        engine.close();
      }
    })();
    expect(ledger).toEqual([
      { day: '2024-01-06', candles_present: '1440', quiet_minutes: '0', missing_minutes: '0' },
      { day: '2024-01-07', candles_present: '1380', quiet_minutes: '60', missing_minutes: '60' },
      { day: '2024-01-08', candles_present: '1440', quiet_minutes: '60', missing_minutes: '0' },
    ]);

    const config = loadWorkerConfig({ ...process.env, LAKE_DIR: lake.root, BINANCE_ARCHIVE_URL: binance.url, BINANCE_REST_BASE_URL: binance.url });
    const deps = { lake, config, fetch: globalThis.fetch, logger: createLogger('missing-plan-test', 'warn') };
    const plan = await planBackfill(deps, { symbols: ['BTCUSDT'], from: '2024-01-06', to: '2024-01-08', mode: 'missing' }, NOW);
    const planned = plan.items.flatMap((i) => i.days);
    expect(planned).toEqual(['2024-01-07']);
    expect(plan.skipped.map((p) => [p.day, p.candles1m])).toEqual([
      ['2024-01-06', 1440],
      ['2024-01-08', 1440],
    ]);
    expect(plan.existing.map((p) => [p.day, p.candles1m])).toEqual([['2024-01-07', 1380]]);
    // One definition: planned exactly where the ledger has missing minutes.
    expect(ledger.filter((r) => r.missing_minutes !== '0').map((r) => r.day)).toEqual(planned);

    // Mode `all` plans every day, complete or not.
    const all = await planBackfill(deps, { symbols: ['BTCUSDT'], from: '2024-01-06', to: '2024-01-08', mode: 'all' }, NOW);
    expect(all.items.flatMap((i) => i.days).sort()).toEqual(['2024-01-06', '2024-01-07', '2024-01-08']);
  });
});
