/**
 * The worker side of WriterThread (writer-thread.ts): writes Parquet data files with this
 * thread's own DuckDB and answers with their Delta `add` actions. Nothing here touches the log.
 */
import { workerData } from 'node:worker_threads';
import { serveRequests } from '../common/worker-rpc.ts';
import { setLakeThreads } from './duckdb.ts';
import { writeRowBatch } from './row-writer.ts';
import type { WriterThreadRequest } from './writer-thread.ts';

const threads = (workerData as { threads?: number } | undefined)?.threads;
if (threads !== undefined) await setLakeThreads(threads);

// The same RowWriter a table uses on its own thread: this worker only moves it off the caller's.
// (Bad JSON throws synchronously: serveRequests answers that like any error.)
serveRequests((req: WriterThreadRequest) => writeRowBatch(req.spec, req.rows));
