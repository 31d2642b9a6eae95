/**
 * The publisher's kafkajs producer on a worker thread of its own (see batch-sender.ts for why).
 * A batch crosses as one buffer of UTF-8 JSON values with their end offsets (moved, not copied),
 * the keys and the topics; the worker turns the values into Buffer views of that one buffer and
 * calls sendBatch. kafkajs's log lines come back to the publisher's logger. Errors come back
 * with kafkajs's `name`, `message` and `retriable`, which is all the publisher decides on.
 */
import type { logLevel as KafkajsLogLevel, LogEntry } from 'kafkajs';
import type { Logger } from '../../common/logger.ts';
import { kafkajsLevel, kafkajsLogCreator } from '../../common/kafkajs-logger.ts';
import { WorkerRpc } from '../../common/worker-rpc.ts';
import type { BatchSender, OutgoingMessage, SenderOptions } from './batch-sender.ts';

export interface SenderThreadData {
  readonly options: SenderOptions;
  readonly logLevel: KafkajsLogLevel;
}

export type SenderThreadRequest =
  | { readonly op: 'connect' | 'disconnect' }
  | {
      readonly op: 'send';
      readonly topics: readonly string[];
      /** Index into `topics` of each message. */
      readonly topicIndex: Uint16Array;
      readonly keys: readonly string[];
      /** UTF-8 JSON values back to back; message i ends at ends[i]. */
      readonly values: Uint8Array;
      readonly ends: Uint32Array;
    };

export class SenderThread implements BatchSender {
  private readonly rpc: WorkerRpc<SenderThreadRequest, void>;

  constructor(opts: SenderOptions, logger: Logger) {
    const level = kafkajsLevel(logger.level);
    const log = kafkajsLogCreator(logger)(level);
    this.rpc = new WorkerRpc(new URL('./sender-thread-worker.ts', import.meta.url), {
      name: 'kafka-sender',
      description: 'the Kafka sender thread',
      workerData: { options: opts, logLevel: level } satisfies SenderThreadData,
      // kafkajs' log lines, posted by the worker.
      onEvent: (entry) => log(entry as LogEntry),
    });
  }

  /** Why the thread can no longer send (it died, or was stopped), for the publisher's /health. */
  get failure(): Error | undefined {
    return this.rpc.failure;
  }

  async connect(): Promise<void> {
    await this.rpc.ready;
    await this.rpc.request({ op: 'connect' });
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
    return this.rpc.request({ op: 'send', topics, topicIndex, keys, values: bytes, ends }, [values.buffer as ArrayBuffer, ends.buffer, topicIndex.buffer]);
  }

  async disconnect(): Promise<void> {
    try {
      if (!this.rpc.failure) await this.rpc.request({ op: 'disconnect' });
    } finally {
      await this.rpc.close('the Kafka sender thread was stopped');
    }
  }
}
