/**
 * The worker side of WriterThread (writer-thread.ts): writes Parquet data files with this
 * thread's own DuckDB and answers with their Delta `add` actions. Nothing here touches the log.
 */
import { workerData } from 'node:worker_threads';
import { serveRequests } from '../common/worker-rpc.ts';
import { setLakeThreads } from './duckdb.ts';
import { materializeRows } from './json-events.ts';
import { writeRows } from './writer.ts';
import type { WriterThreadRequest } from './writer-thread.ts';

const threads = (workerData as { threads?: number } | undefined)?.threads;
if (threads !== undefined) await setLakeThreads(threads);

// materializeRows throws synchronously on bad JSON: serveRequests answers that like any error.
serveRequests((req: WriterThreadRequest) => writeRows(req.spec, materializeRows(req.rows)));
