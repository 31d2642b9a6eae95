/**
 * The data-quality suite at real size: every check of transforms/checks over all of 2024's BTCUSDT
 * 1m klines (527,040 rows) and their 5m/15m/1h rollups in silver (one commit per month), with the
 * look-backs widened to the whole year (QUALITY_CONFIG-style overrides), judged as of
 * 2025-01-01T00:00Z, on the engine quality runs open (openQualityEngine); against, in the same
 * run, one DuckDB aggregate pass over the same table through the same view (`silver_candles`,
 * every column the checks read) on an engine with DuckDB's default settings. Target: suite ≤ 3× the
 * pass. Both sides are run QUALITY_BENCH_ROUNDS times (default 3, after one warm-up each); the
 * ratio is of the medians. Needs MARKETLAKE_REFERENCE_DATA (the twelve monthly zips).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Lake, LakeQueryEngine } from '../lake/index.ts';
import { loadKlineArchives } from '../test/support/transforms/quality-lakes.ts';
import { ALL_CHECKS, openQualityEngine, resolveQualityConfig, runChecks, type QualityConfigInput } from '../transforms/index.ts';
import { referenceData, type Benchmark } from './harness.ts';
import { median } from './stats.ts';

const NOW_US = Date.UTC(2025, 0, 1) * 1000;
const YEAR_HOURS = 366 * 24;

/** Every look-back widened to the year: the suite checks all of it, not the last day. */
const WHOLE_YEAR: QualityConfigInput = {
  checks: {
    trade_uniqueness: { thresholds: { lookbackHours: null } },
    candle_uniqueness: { thresholds: { lookbackHours: null } },
    candle_validity: { thresholds: { lookbackHours: null } },
    silver_matches_bronze: { thresholds: { lookbackHours: YEAR_HOURS } },
    rollup_matches_1m: { thresholds: { lookbackHours: null } },
    missing_minutes: { thresholds: { lookbackHours: null } },
    trade_id_gaps: { thresholds: { lookbackHours: null } },
    cross_source_price: { thresholds: { lookbackHours: null } },
    volume_trades: { thresholds: { windowHours: YEAR_HOURS - 8 * 24 } },
    volume_candles: { thresholds: { windowHours: YEAR_HOURS - 8 * 24 } },
  },
};

const REFERENCE_PASS = `SELECT "interval", count(*) AS n, min(window_start) AS first, max(window_end) AS last,
  min(open) AS o, max(high) AS h, min(low) AS l, max(close) AS c, sum(volume) AS v, sum(quote_volume) AS q, max(vwap) AS vw,
  sum(trade_count) AS tc, sum(taker_buy_volume) AS tb, sum(taker_buy_quote_volume) AS tbq, max(first_trade_id) AS f, max(last_trade_id) AS la,
  max(revision) AS r, bool_and(is_final) AS fin
FROM silver_candles GROUP BY "interval"`;

const bench: Benchmark = {
  name: 'quality-suite',
  description: 'every quality check over 2024 1m klines + rollups vs one DuckDB aggregate pass over the same table',
  targets: { suite_vs_one_pass: { max: 3 } },
  async run(ctx) {
    const data = referenceData('binance/btcusdt-spot-1m-klines-2024');
    if ('skipped' in data) return data.skipped;
    const zips = fs.readdirSync(data.path).filter((f) => /^BTCUSDT-1m-2024-\d\d\.zip$/.test(f)).sort().map((f) => path.join(data.path, f));
    const lake = new Lake(path.join(ctx.workDir, 'lake'));
    const t0 = performance.now();
    const rows = await loadKlineArchives(lake, zips);
    ctx.log(`${rows} silver rows (${zips.length} months of 1m + rollups) loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const config = resolveQualityConfig(ALL_CHECKS, WHOLE_YEAR);
    // The suite on the engine quality runs open; the reference pass on a default engine.
    const engine = await openQualityEngine(lake);
    const reference = await LakeQueryEngine.open({ lake });
    try {
      const suite = async () => {
        const t = performance.now();
        const run = await runChecks({ engine, config, nowUs: NOW_US });
        return { ms: performance.now() - t, run };
      };
      const pass = async () => {
        const t = performance.now();
        const r = await reference.query(REFERENCE_PASS);
        if (r.rows.length !== 4) throw new Error(`expected 4 intervals, got ${JSON.stringify(r.rows)}`);
        return performance.now() - t;
      };
      const rounds = Number(process.env.QUALITY_BENCH_ROUNDS ?? 3);
      const warm = await suite();
      const failing = warm.run.results.filter((r) => r.status !== 'pass');
      if (failing.length > 0) throw new Error(`the clean year fails checks: ${failing.map((r) => `${r.check}=${r.status} ${r.message ?? r.failingRows}`).join(', ')}`);
      await pass();
      const suiteMs: number[] = [];
      const passMs: number[] = [];
      let last = warm.run;
      for (let i = 0; i < rounds; i++) {
        const s = await suite();
        suiteMs.push(s.ms);
        last = s.run;
        passMs.push(await pass());
      }
      ctx.log(`  (latest candles materialised: ${last.prepareMs ?? 0} ms)`);
      for (const r of last.results) ctx.log(`  ${r.check}: ${r.durationMs} ms`);
      const figures: Record<string, number> = { silver_rows: rows, suite_ms: median(suiteMs), one_pass_ms: median(passMs), prepare_ms: last.prepareMs ?? 0 };
      for (const r of last.results) figures[`check_${r.check}_ms`] = r.durationMs;
      return { figures, ratios: { suite_vs_one_pass: median(suiteMs) / median(passMs) } };
    } finally {
      engine.close();
      reference.close();
    }
  },
};

export default bench;
