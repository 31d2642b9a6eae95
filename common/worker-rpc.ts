/**
 * Requests to a worker thread that runs one of the project's TypeScript modules, each answered
 * by id: the mechanism under the lake writer thread (lake/writer-thread.ts) and the Kafka sender
 * thread (producers/publishing/sender-thread.ts). The caller side is `WorkerRpc`, the worker side
 * `serveRequests`.
 *
 * - The worker keeps the process alive only while a request is in flight: a thread nobody
 *   closed must not hold its process open.
 * - Errors cross as name, message, stack and kafkajs' `retriable`, and are rebuilt on this side.
 * - When the thread dies (an error, an exit), every pending and later request fails with that
 *   reason, marked `retriable: false`, and `failure` says why.
 * - Besides replies, a worker can post events (e.g. log lines), handed to `onEvent`.
 */
import { parentPort, Worker } from 'node:worker_threads';

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly retriable?: boolean;
}

interface WorkerRequest<B> {
  readonly id: number;
  readonly body: B;
}

type WorkerReply<R> =
  | { readonly id: 0; readonly ready: true }
  | { readonly id: number; readonly result: R }
  | { readonly id: number; readonly error: SerializedError }
  | { readonly id: -1; readonly event: unknown };

export interface WorkerRpcOptions {
  /** The thread's name (in stack traces and debuggers). */
  readonly name: string;
  /** How errors name the thread: "the lake writer thread". */
  readonly description: string;
  /** Handed to the worker module as `workerData` (next to `entry`). */
  readonly workerData?: Record<string, unknown>;
  /** The error to rebuild for a serialized one (default: an Error with its message). */
  readonly errorOf?: (e: SerializedError) => Error;
  readonly onEvent?: (event: unknown) => void;
}

interface Pending<R> {
  resolve(result: R): void;
  reject(err: Error): void;
}

// A plain-JS bootstrap registers tsx in the worker (it does not inherit the loader), then imports the entry.
const BOOTSTRAP = new URL('./worker-bootstrap.mjs', import.meta.url);

export class WorkerRpc<B, R> {
  /** Resolves once the worker's modules are loaded; rejects if it dies first. */
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending<R>>();
  private nextId = 1;
  private broken: Error | undefined;

  constructor(
    entry: URL,
    private readonly opts: WorkerRpcOptions,
  ) {
    this.worker = new Worker(BOOTSTRAP, { workerData: { ...opts.workerData, entry: entry.href }, name: opts.name });
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (reply: WorkerReply<R>) => {
        if ('event' in reply) return opts.onEvent?.(reply.event);
        if ('ready' in reply) return resolve();
        const p = this.pending.get(reply.id);
        if (p === undefined) return;
        this.pending.delete(reply.id);
        if (this.pending.size === 0) this.worker.unref();
        if ('result' in reply) p.resolve(reply.result);
        else p.reject(this.rebuild(reply.error));
      });
      const fail = (err: Error) => {
        this.broken ??= Object.assign(err, { retriable: false });
        reject(this.broken);
        for (const p of this.pending.values()) p.reject(this.broken);
        this.pending.clear();
      };
      this.worker.on('error', fail);
      this.worker.on('exit', (code) => fail(new Error(`${opts.description} exited (code ${code})`)));
    });
    this.ready.catch(() => undefined);
  }

  /** Why the thread can no longer answer (it died, or was closed); undefined while it can. */
  get failure(): Error | undefined {
    return this.broken;
  }

  /** Sends `body` (moving the buffers in `transfer`) and resolves with the worker's result. */
  request(body: B, transfer: ArrayBuffer[] = []): Promise<R> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, body } satisfies WorkerRequest<B>, transfer);
    });
  }

  /** Stops the worker; requests in flight and later ones fail with `reason`. */
  async close(reason: string): Promise<void> {
    this.broken ??= new Error(reason);
    await this.worker.terminate();
  }

  private rebuild(e: SerializedError): Error {
    const err = this.opts.errorOf?.(e) ?? new Error(e.message);
    err.name = e.name;
    if (e.retriable !== undefined) Object.assign(err, { retriable: e.retriable });
    if (e.stack) err.stack = `${e.name}: ${e.message} (on ${this.opts.description})\n${e.stack.split('\n').slice(1).join('\n')}`;
    return err;
  }
}

/**
 * The worker side: answers every request with `handle`'s result or error, and tells the caller
 * it is ready. Call it once the module's own set-up is done.
 */
export function serveRequests<B, R>(handle: (body: B) => Promise<R> | R): void {
  const port = parentPort!;
  port.on('message', (req: WorkerRequest<B>) => {
    // A synchronous throw in `handle` is answered like any error: it happens inside the chain.
    Promise.resolve()
      .then(() => handle(req.body))
      .then(
        (result): void => port.postMessage({ id: req.id, result } satisfies WorkerReply<R>),
        (err: unknown): void => port.postMessage({ id: req.id, error: serializeError(err) } satisfies WorkerReply<R>),
      );
  });
  port.postMessage({ id: 0, ready: true } satisfies WorkerReply<R>);
}

/** Posts an event (not a reply) to the caller's `onEvent`. */
export function postEvent(event: unknown): void {
  parentPort!.postMessage({ id: -1, event } satisfies WorkerReply<never>);
}

function serializeError(err: unknown): SerializedError {
  const e = err as (Error & { retriable?: boolean }) | undefined;
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err), stack: e?.stack, retriable: e?.retriable };
}
