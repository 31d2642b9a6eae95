/**
 * Parquet writing on a worker thread. Appending rows to DuckDB is a synchronous native call per
 * value (a few µs per row), and a streaming service that does it on its main thread stops
 * consuming and publishing for as long: tens of milliseconds per second of trades at 10k/s,
 * most of the main thread at full speed. A WriterThread hands the rows to a worker with its own
 * DuckDB, which writes the data files and answers with their `add` actions; the commit itself
 * (the log, fencing, conflicts) stays with the caller's DeltaTable. Use it through
 * `new Lake(root, { rowWriter: writerThread.write })`.
 */
import { WorkerRpc } from '../common/worker-rpc.ts';
import type { AddAction } from './delta/actions.ts';
import { isJsonEvents, type RowBatch } from './json-events.ts';
import type { RowWriter } from './row-writer.ts';
import { RowValidationError, type DataFileSpec } from './writer.ts';

export type { RowWriter };

export interface WriterThreadRequest {
  readonly spec: DataFileSpec;
  readonly rows: RowBatch;
}

export class WriterThread {
  private readonly rpc: WorkerRpc<WriterThreadRequest, AddAction[]>;

  private constructor(opts: { threads?: number }) {
    this.rpc = new WorkerRpc(new URL('./writer-thread-worker.ts', import.meta.url), {
      name: 'lake-writer',
      description: 'the lake writer thread',
      workerData: { threads: opts.threads },
      errorOf: (e) => (e.name === 'RowValidationError' ? new RowValidationError(e.message) : new Error(e.message)),
    });
  }

  /** Starts the worker and waits until its modules are loaded. `threads`: its DuckDB's threads. */
  static async start(opts: { threads?: number } = {}): Promise<WriterThread> {
    const t = new WriterThread(opts);
    await t.rpc.ready;
    return t;
  }

  /** A RowWriter that runs on the worker. */
  readonly write: RowWriter = (spec, rows) => {
    // JSON events in buffers of their own move to the worker without a copy.
    // (Their buffers are detached here afterwards.)
    const transfer: ArrayBuffer[] = [];
    if (isJsonEvents(rows)) for (const v of [rows.bytes, rows.ends]) if (v.buffer instanceof ArrayBuffer && ownsBuffer(v)) transfer.push(v.buffer);
    return this.rpc.request({ spec, rows }, transfer);
  };

  /** Stops the worker; writes still in flight fail. */
  close(): Promise<void> {
    return this.rpc.close('the lake writer thread was closed');
  }
}

function ownsBuffer(view: ArrayBufferView): boolean {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}
