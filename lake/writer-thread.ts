/**
 * Parquet writing on a worker thread. Appending rows to DuckDB is a synchronous native call per
 * value (a few µs per row), and a streaming service that does it on its main thread stops
 * consuming and publishing for as long: tens of milliseconds per second of trades at 10k/s,
 * most of the main thread at full speed. A WriterThread hands the rows to a worker with its own
 * DuckDB, which writes the data files and answers with their `add` actions; the commit itself
 * (the log, fencing, conflicts) stays with the caller's DeltaTable. Use it through
 * `new Lake(root, { rowWriter: writerThread.write })`.
 */
import { Worker } from 'node:worker_threads';
import type { AddAction } from './delta/actions.ts';
import { isJsonEvents, type RowBatch } from './json-events.ts';
import { RowValidationError, type DataFileSpec } from './writer.ts';

/** Writes rows into new data files of a table and returns their `add` actions (no commit). */
export type RowWriter = (spec: DataFileSpec, rows: RowBatch) => Promise<AddAction[]>;

export interface WriterThreadRequest {
  readonly id: number;
  readonly spec: DataFileSpec;
  readonly rows: RowBatch;
}

export type WriterThreadReply =
  | { readonly id: number; readonly ready: true }
  | { readonly id: number; readonly added: AddAction[] }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string; readonly stack?: string } };

interface Pending {
  resolve(added: AddAction[]): void;
  reject(err: Error): void;
}

// A plain-JS bootstrap registers tsx in the worker (it does not inherit the loader), then imports ENTRY.
const BOOTSTRAP = new URL('../common/worker-bootstrap.mjs', import.meta.url);
const ENTRY = new URL('./writer-thread-worker.ts', import.meta.url).href;

export class WriterThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private readonly ready: Promise<void>;

  private constructor(opts: { threads?: number }) {
    this.worker = new Worker(BOOTSTRAP, { workerData: { entry: ENTRY, threads: opts.threads }, name: 'lake-writer' });
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (reply: WriterThreadReply) => {
        if ('ready' in reply) return resolve();
        const p = this.pending.get(reply.id);
        if (p === undefined) return;
        this.pending.delete(reply.id);
        if (this.pending.size === 0) this.worker.unref();
        if ('added' in reply) p.resolve(reply.added);
        else p.reject(rebuildError(reply.error));
      });
      const fail = (err: Error) => {
        this.failure ??= err;
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
      this.worker.on('error', fail);
      this.worker.on('exit', (code) => fail(new Error(`the lake writer thread exited (code ${code})`)));
    });
    this.ready.catch(() => undefined);
  }

  /** Starts the worker and waits until its modules are loaded. `threads`: its DuckDB's threads. */
  static async start(opts: { threads?: number } = {}): Promise<WriterThread> {
    const t = new WriterThread(opts);
    await t.ready;
    return t;
  }

  /** A RowWriter that runs on the worker. */
  readonly write: RowWriter = (spec, rows) => {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<AddAction[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // While a write is in flight the worker keeps the process alive; idle, it does not.
      if (this.pending.size === 1) this.worker.ref();
      // JSON events in buffers of their own move to the worker without a copy.
      // (Their buffers are detached here afterwards.)
      const transfer: ArrayBuffer[] = [];
      if (isJsonEvents(rows)) for (const v of [rows.bytes, rows.ends]) if (v.buffer instanceof ArrayBuffer && ownsBuffer(v)) transfer.push(v.buffer);
      this.worker.postMessage({ id, spec, rows } satisfies WriterThreadRequest, transfer);
    });
  };

  /** Stops the worker; writes still in flight fail. */
  async close(): Promise<void> {
    this.failure ??= new Error('the lake writer thread was closed');
    await this.worker.terminate();
  }
}

function ownsBuffer(view: ArrayBufferView): boolean {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}

function rebuildError(e: { name: string; message: string; stack?: string }): Error {
  const err = e.name === 'RowValidationError' ? new RowValidationError(e.message) : new Error(e.message);
  if (e.stack) err.stack = `${err.name}: ${e.message} (on the lake writer thread)\n${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}
