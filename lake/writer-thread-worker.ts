/**
 * The worker side of WriterThread (writer-thread.ts): writes Parquet data files with this
 * thread's own DuckDB and answers with their Delta `add` actions. Nothing here touches the log.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { withLakeConnection } from './duckdb.ts';
import { materializeRows } from './json-events.ts';
import { writeRows } from './writer.ts';
import type { WriterThreadReply, WriterThreadRequest } from './writer-thread.ts';

const port = parentPort!;
const threads = (workerData as { threads?: number } | undefined)?.threads;
if (threads !== undefined) await withLakeConnection((conn) => conn.run(`SET GLOBAL threads = ${Math.max(1, Math.floor(threads))}`));

port.on('message', (req: WriterThreadRequest) => {
  // materializeRows throws synchronously on bad JSON: inside the chain, it is answered like any error.
  Promise.resolve()
    .then(() => writeRows(req.spec, materializeRows(req.rows)))
    .then(
      (added): void => port.postMessage({ id: req.id, added } satisfies WriterThreadReply),
      (err: Error): void => port.postMessage({ id: req.id, error: { name: err.name, message: err.message, stack: err.stack } } satisfies WriterThreadReply),
    );
});
port.postMessage({ id: 0, ready: true } satisfies WriterThreadReply);
