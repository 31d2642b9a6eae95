/**
 * The publisher's retry decision on kafkajs's own error classes and flags. Each error is the
 * class kafkajs itself throws in that situation (a broker down past kafkajs's retry budget
 * arrives as KafkaJSNumberOfRetriesExceeded, `retriable: false`, wrapping a connection error),
 * also as rebuilt after crossing from the sender thread (name and `retriable` only).
 */
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isRetriableSendError } from './send-errors.ts';

const { KafkaJSConnectionError, KafkaJSError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSNonRetriableError } = kafkajs;

/** What common/worker-rpc.ts rebuilds on the publisher's side of the sender thread. */
function acrossThread(err: Error & { retriable?: boolean }): Error {
  return Object.assign(new Error(err.message), { name: err.name, retriable: err.retriable });
}

describe('isRetriableSendError', () => {
  const outage = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { retryCount: 5, retryTime: 9000 });

  it('keeps retrying after kafkajs ran out of its own retries on a broker outage', () => {
    expect(outage.retriable).toBe(false); // kafkajs's flag alone would drop the batch
    expect(isRetriableSendError(outage)).toBe(true);
    expect(isRetriableSendError(acrossThread(outage))).toBe(true);
  });

  it('retries what kafkajs marks retriable, also across the thread', () => {
    const disconnected = new KafkaJSError('The producer is disconnected');
    expect(isRetriableSendError(disconnected)).toBe(true);
    expect(isRetriableSendError(acrossThread(disconnected))).toBe(true);
    expect(isRetriableSendError(new KafkaJSConnectionError('Connection timeout'))).toBe(true);
  });

  it('gives up on what the broker refuses for good, whatever the message says', () => {
    // kafkajs builds protocol errors from its table of broker error codes (src/protocol/error.js).
    const code10 = { type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false, message: 'The request included a message larger than the max message size the server will accept' };
    const tooLarge = new KafkaJSProtocolError(code10 as unknown as Error);
    expect(isRetriableSendError(tooLarge)).toBe(false);
    expect(isRetriableSendError(acrossThread(tooLarge))).toBe(false);
    // A permanent error whose text mentions a disconnect is still permanent (the old regex retried it forever).
    expect(isRetriableSendError(new KafkaJSNonRetriableError('Invalid record: client disconnected mid-batch'))).toBe(false);
  });

  it('gives up when the sender thread is gone (retriable: false, no kafkajs class)', () => {
    expect(isRetriableSendError(Object.assign(new Error('the Kafka sender thread exited with code 1'), { retriable: false }))).toBe(false);
  });

  it('retries errors without a verdict, as before', () => {
    expect(isRetriableSendError(new Error('socket hang up'))).toBe(true);
  });
});

describe('a transient cause inside a non-retriable wrapper', () => {
  it('is retried, also once its verdict crossed the sender thread', async () => {
    const { withSendVerdict } = await import('./send-errors.ts');
    // What kafkajs's retrier rejects with when a retry inside it was refused (src/retry/index.js).
    const lost = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    const wrapped = new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(lost, { cause: lost });
    expect(isRetriableSendError(wrapped)).toBe(true);
    const crossed = acrossThread(withSendVerdict(wrapped));
    expect(crossed.name).toBe('KafkaJSNonRetriableError');
    expect(isRetriableSendError(crossed)).toBe(true);
  });
});
