/**
 * The worker side of SenderThread (sender-thread.ts): one idempotent kafkajs producer, fed
 * batches whose values are Buffer views of one transferred buffer (no copy per message).
 */
import { workerData } from 'node:worker_threads';
import { postEvent, serveRequests } from '../../common/worker-rpc.ts';
import { COMPRESSION, createIdempotentProducer, topicMessagesOf } from './batch-sender.ts';
import { withSendVerdict } from './send-errors.ts';
import type { SenderThreadData, SenderThreadRequest } from './sender-thread.ts';

const data = workerData as SenderThreadData;

// kafkajs's log lines go to the publisher's logger on the main thread.
const producer = createIdempotentProducer(data.options, data.logLevel, () => ({ namespace, level, label, log }) => {
  try {
    postEvent({ namespace, level, label, log });
  } catch {
    // Something in the entry cannot be cloned: keep its text.
    postEvent({ namespace, level, label, log: { message: String(log.message), timestamp: String(log.timestamp) } });
  }
});
const compression = COMPRESSION[data.options.compression];

serveRequests(async (req: SenderThreadRequest): Promise<void> => {
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
  await producer.sendBatch({ topicMessages, acks: -1, compression }).catch((err: unknown) => {
    throw withSendVerdict(err);
  });
});
