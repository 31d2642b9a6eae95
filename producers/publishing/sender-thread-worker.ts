/**
 * The worker side of SenderThread (sender-thread.ts): one idempotent kafkajs producer, fed
 * batches whose values are Buffer views of one transferred buffer (no copy per message).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { COMPRESSION, createIdempotentProducer, topicMessagesOf } from './batch-sender.ts';
import type { SenderThreadData, SenderThreadReply, SenderThreadRequest, SerializedError } from './sender-thread.ts';

const port = parentPort!;
const data = workerData as SenderThreadData;
const reply = (r: SenderThreadReply) => port.postMessage(r);

// kafkajs's log lines go to the publisher's logger on the main thread.
const producer = createIdempotentProducer(data.options, data.logLevel, () => ({ namespace, level, label, log }) => {
  try {
    reply({ id: -1, log: { namespace, level, label, log } });
  } catch {
    reply({ id: -1, log: { namespace, level, label, log: { message: String(log.message), timestamp: String(log.timestamp) } } });
  }
});
const compression = COMPRESSION[data.options.compression];

function serialize(err: unknown): SerializedError {
  const e = err as Error & { retriable?: boolean };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err), retriable: e?.retriable, stack: e?.stack };
}

async function handle(req: SenderThreadRequest): Promise<void> {
  if (req.op !== 'send') return req.op === 'connect' ? producer.connect() : producer.disconnect();
  const { topics, topicIndex, keys, values, ends } = req;
  const topicMessages = topicMessagesOf(
    ends.length,
    (i) => topics[topicIndex[i]],
    (i) => {
      const start = i === 0 ? 0 : ends[i - 1];
      return { key: keys[i], value: Buffer.from(values.buffer, values.byteOffset + start, ends[i] - start) };
    },
  );
  await producer.sendBatch({ topicMessages, acks: -1, compression });
}

port.on('message', (req: SenderThreadRequest) => {
  handle(req).then(
    () => reply({ id: req.id, ok: true }),
    (err: unknown) => reply({ id: req.id, error: serialize(err) }),
  );
});
reply({ id: 0, ready: true });
