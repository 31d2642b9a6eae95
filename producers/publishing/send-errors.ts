/**
 * Whether a failed Kafka send is worth retrying, decided by kafkajs' own error classes and
 * `retriable` flag (never by the message text):
 *
 * - `retriable: true` (connection errors, "the producer is disconnected", leader elections,
 *   request timeouts...): retry.
 * - KafkaJSNumberOfRetriesExceeded: kafkajs retried a retriable error until its own budget ran
 *   out (a broker down longer than ~30 s). It marks that `retriable: false`, but the cause is
 *   still transient: the publisher keeps the batch and retries with its own backoff, so an outage
 *   loses nothing.
 * - `retriable: false` otherwise (a record the broker refuses, e.g. too large; a dead sender
 *   thread): give up on the batch and count it as undelivered.
 * - no flag (not a kafkajs error): retry, as before.
 *
 * Errors from the sender thread arrive rebuilt with kafkajs's `name` and `retriable`
 * (common/worker-rpc.ts), so the class is recognised by name there.
 */
import kafkajs from 'kafkajs';

// kafkajs exports its error classes by spreading them into module.exports, which Node's ESM
// named-import detection cannot see: take them from the default export.
const { KafkaJSNumberOfRetriesExceeded } = kafkajs;

export function isRetriableSendError(err: unknown): boolean {
  if (err instanceof KafkaJSNumberOfRetriesExceeded) return true;
  const e = err as { name?: unknown; retriable?: unknown } | null | undefined;
  if (e?.name === 'KafkaJSNumberOfRetriesExceeded') return true;
  if (e?.retriable !== false) return true;
  // A non-retriable wrapper around a transient cause (kafkajs's retrier bails out with the lost
  // connection inside): the cause decides.
  return causeOf(err) !== undefined && isRetriableSendError(causeOf(err));
}

function causeOf(err: unknown): unknown {
  const e = err as { originalError?: unknown; cause?: unknown } | null | undefined;
  return e?.originalError ?? e?.cause;
}

/**
 * Sets `retriable` to the verdict above, for errors that cross the sender thread (which carries
 * `name`, `message` and `retriable`, not the cause the verdict may depend on).
 */
export function withSendVerdict<E>(err: E): E {
  if (err && typeof err === 'object') Object.assign(err, { retriable: isRetriableSendError(err) });
  return err;
}
