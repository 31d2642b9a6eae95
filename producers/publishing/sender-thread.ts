/**
 * The publisher's kafkajs producer on a worker thread of its own (see batch-sender.ts for why).
 * A batch crosses as one buffer of UTF-8 JSON values with their end offsets (moved, not copied),
 * the keys and the topics; the worker turns the values into Buffer views of that one buffer and
 * calls sendBatch. kafkajs's log lines come back to the publisher's logger. Errors come back
 * with kafkajs's `name`, `message` and `retriable`, which is all the publisher decides on.
 */
import { Worker } from 'node:worker_threads';
import type { logLevel as KafkajsLogLevel, LogEntry } from 'kafkajs';
import type { Logger } from '../../common/logger.ts';
import { kafkajsLevel, kafkajsLogCreator } from '../../common/kafkajs-logger.ts';
import type { BatchSender, OutgoingMessage, SenderOptions } from './batch-sender.ts';

export interface SenderThreadData {
  readonly entry: string;
  readonly options: SenderOptions;
  readonly logLevel: KafkajsLogLevel;
}

export type SenderThreadRequest =
  | { readonly id: number; readonly op: 'connect' | 'disconnect' }
  | {
      readonly id: number;
      readonly op: 'send';
      readonly topics: readonly string[];
      /** Index into `topics` of each message. */
      readonly topicIndex: Uint16Array;
      readonly keys: readonly string[];
      /** UTF-8 JSON values back to back; message i ends at ends[i]. */
      readonly values: Uint8Array;
      readonly ends: Uint32Array;
    };

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly retriable?: boolean;
  readonly stack?: string;
}

export type SenderThreadReply =
  | { readonly id: 0; readonly ready: true }
  | { readonly id: number; readonly ok: true }
  | { readonly id: number; readonly error: SerializedError }
  | { readonly id: -1; readonly log: LogEntry };

const BOOTSTRAP = new URL('../../common/worker-bootstrap.mjs', import.meta.url);
const ENTRY = new URL('./sender-thread-worker.ts', import.meta.url).href;

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

export class SenderThread implements BatchSender {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly ready: Promise<void>;
  private nextId = 1;
  private broken: Error | undefined;

  constructor(opts: SenderOptions, logger: Logger) {
    const level = kafkajsLevel(logger.level);
    const log = kafkajsLogCreator(logger)(level);
    this.worker = new Worker(BOOTSTRAP, { workerData: { entry: ENTRY, options: opts, logLevel: level } satisfies SenderThreadData, name: 'kafka-sender' });
    // While a request is in flight the worker keeps the process alive; idle, it does not (a
    // publisher nobody closed must not hold its process open).
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (reply: SenderThreadReply) => {
        if ('log' in reply) return log(reply.log);
        if ('ready' in reply) return resolve();
        const p = this.pending.get(reply.id);
        if (p === undefined) return;
        this.pending.delete(reply.id);
        if (this.pending.size === 0) this.worker.unref();
        if ('ok' in reply) p.resolve();
        else p.reject(rebuildError(reply.error));
      });
      const fail = (err: Error) => {
        this.broken ??= Object.assign(err, { retriable: false });
        reject(this.broken);
        for (const p of this.pending.values()) p.reject(this.broken);
        this.pending.clear();
      };
      this.worker.on('error', fail);
      this.worker.on('exit', (code) => fail(new Error(`the Kafka sender thread exited (code ${code})`)));
    });
    this.ready.catch(() => undefined);
  }

  /** Why the thread can no longer send (it died, or was stopped), for the publisher's /health. */
  get failure(): Error | undefined {
    return this.broken;
  }

  async connect(): Promise<void> {
    await this.ready;
    await this.request({ id: this.nextId++, op: 'connect' });
  }

  send(messages: readonly OutgoingMessage[]): Promise<void> {
    const topics: string[] = [];
    const topicIndex = new Uint16Array(messages.length);
    const keys: string[] = new Array(messages.length);
    let capacity = 0;
    for (const m of messages) capacity += m.json.length;
    // A UTF-16 code unit is at most 3 UTF-8 bytes; write() reports what it actually used.
    const values = Buffer.allocUnsafeSlow(capacity * 3);
    const ends = new Uint32Array(messages.length);
    let at = 0;
    let lastTopic = '';
    let lastIndex = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      if (m.topic !== lastTopic) {
        lastTopic = m.topic;
        lastIndex = topics.indexOf(m.topic);
        if (lastIndex < 0) lastIndex = topics.push(m.topic) - 1;
      }
      topicIndex[i] = lastIndex;
      keys[i] = m.key;
      at += values.write(m.json, at);
      ends[i] = at;
    }
    const bytes = new Uint8Array(values.buffer, 0, at);
    return this.request({ id: this.nextId++, op: 'send', topics, topicIndex, keys, values: bytes, ends }, [values.buffer as ArrayBuffer, ends.buffer, topicIndex.buffer]);
  }

  async disconnect(): Promise<void> {
    try {
      if (!this.broken) await this.request({ id: this.nextId++, op: 'disconnect' });
    } finally {
      this.broken ??= new Error('the Kafka sender thread was stopped');
      await this.worker.terminate();
    }
  }

  private request(req: SenderThreadRequest, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<void>((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage(req, transfer);
    });
  }
}

function rebuildError(e: SerializedError): Error {
  const err = Object.assign(new Error(e.message), { retriable: e.retriable });
  err.name = e.name;
  if (e.stack) err.stack = `${e.name}: ${e.message} (on the Kafka sender thread)\n${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}
