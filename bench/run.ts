/**
 * `npm run bench [-- name ...]`: runs the benchmarks in bench/*.bench.ts, starting a private
 * Kafka / Temporal on free ports when a benchmark needs them, and prints each figure, ratio and
 * target verdict. Exit code 1 when a target is missed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadBaseConfig } from '../common/config.ts';
import { freePort, freePortRun } from '../stack/net.ts';
import { TEMPORAL_CONSECUTIVE_PORTS } from '../stack/temporal.ts';
import { Stack } from '../stack/stack.ts';
import type { Benchmark, BenchResult } from './harness.ts';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = fs
  .readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}`);
  process.exit(2);
}

const benches: Benchmark[] = [];
for (const f of files) benches.push((await import(pathToFileURL(path.join(benchDir, f)).href)).default as Benchmark);

const needs = new Set(benches.flatMap((b) => b.needs ?? []));
let stack: Stack | undefined;
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marketlake-bench-'));
if (needs.size > 0) {
  stack = new Stack(
    {
      stateDir,
      cacheDir: path.resolve(loadBaseConfig().MARKETLAKE_CACHE_DIR),
      kafka: { port: await freePort(), controllerPort: await freePort(), partitions: 6, tradesPartitions: 6, heapMb: 2048 },
      temporal: { port: await freePortRun(TEMPORAL_CONSECUTIVE_PORTS), uiPort: await freePort(), dbFile: undefined, namespace: 'default' },
      prometheus: { port: await freePort(), scrapeTargets: {} },
    },
    { only: [...needs] as ('kafka' | 'temporal')[], onEvent: (m) => console.error(`[bench infra] ${m}`) },
  );
  await stack.up();
}

const resultsDir = path.join(benchDir, 'results');
fs.mkdirSync(resultsDir, { recursive: true });
let failed = 0;
try {
  for (const bench of benches) {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `marketlake-bench-${bench.name}-`));
    console.error(`\n== ${bench.name}: ${bench.description}`);
    const t0 = Date.now();
    let result: BenchResult;
    try {
      result = await bench.run({
        workDir,
        kafkaBrokers: stack ? [stack.kafka.bootstrap] : undefined,
        temporalAddress: stack ? stack.temporal.address : undefined,
        log: (m) => console.error(`  ${m}`),
      });
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
    const verdicts: Record<string, string> = {};
    if (result.skipped) console.error(`  SKIPPED: ${result.skipped}`);
    for (const [name, target] of Object.entries(bench.targets ?? {})) {
      const value = result.ratios?.[name] ?? result.figures[name];
      if (result.skipped) {
        verdicts[name] = `NOT MEASURED (skipped: ${result.skipped})`;
        continue;
      }
      if (value === undefined) {
        // A partial run (e.g. STREAM_BENCH_PHASES) did not measure it: neither pass nor fail.
        verdicts[name] = 'NOT MEASURED in this run';
        continue;
      }
      const ok = value !== undefined && (target.min === undefined || value >= target.min) && (target.max === undefined || value <= target.max);
      if (!ok) failed += 1;
      verdicts[name] = `${ok ? 'PASS' : 'FAIL'} ${value?.toFixed(3)} (target ${target.min !== undefined ? `>= ${target.min}` : ''}${target.max !== undefined ? `<= ${target.max}` : ''})`;
    }
    const record = { bench: bench.name, seconds: (Date.now() - t0) / 1000, ...result, verdicts, machine: { cpus: os.cpus().length, node: process.version } };
    console.log(JSON.stringify(record));
    for (const [k, v] of Object.entries(verdicts)) console.error(`  ${k}: ${v}`);
    fs.writeFileSync(path.join(resultsDir, `${bench.name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  }
} finally {
  await stack?.down();
  fs.rmSync(stateDir, { recursive: true, force: true });
}
process.exit(failed > 0 ? 1 : 0);
