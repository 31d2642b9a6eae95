/**
 * A separate writer process for the lake's concurrency tests:
 *   node bin/run-ts.js test/support/lake/append-worker.ts append <tableDir> <firstTradeId> <batches> <batchSize> [symbol]
 *     appends `batches` commits of `batchSize` consecutive trade ids each, printing each version;
 *   node bin/run-ts.js test/support/lake/append-worker.ts write-then-hang <tableDir> <firstTradeId> <count>
 *     writes the data files of an append (the first half of a commit), prints "written", then
 *     waits forever: the test kills it with SIGKILL before it writes the log entry.
 */
import { DeltaTable } from '../../../lake/table.ts';
import { writeRows } from '../../../lake/writer.ts';
import { syntheticTrades } from './synthetic-trades.ts';

const [mode, dir, first, a, b, symbol] = process.argv.slice(2);
const table = await DeltaTable.open(dir);

if (mode === 'append') {
  const batches = Number(a);
  const size = Number(b);
  for (let i = 0; i < batches; i++) {
    const rows = syntheticTrades({ count: size, firstTradeId: Number(first) + i * size, symbols: [symbol ?? 'BTCUSDT'], seed: Number(first) + i });
    const r = await table.append(rows);
    process.stdout.write(`${r.version}\n`);
  }
} else if (mode === 'write-then-hang') {
  const snap = table.snapshot();
  const adds = await writeRows({ tableDir: table.dir, columns: snap.columns, partitionColumns: snap.partitionColumns }, syntheticTrades({ count: Number(a), firstTradeId: Number(first) }));
  process.stdout.write(`written ${adds.map((x) => x.path).join(' ')}\n`);
  setInterval(() => undefined, 1 << 30);
} else {
  throw new Error(`unknown mode ${mode}`);
}
