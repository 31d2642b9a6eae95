/**
 * Where every source hands its normalised events: the Kafka publisher implements this, tests
 * can collect into memory. `publish` resolves once the event is accepted into a bounded buffer,
 * so a slow or unreachable Kafka makes the source wait (backpressure) instead of dropping.
 */
import type { DeadLetter } from '../common/events/index.ts';
import type { TopicName } from '../common/topics.ts';

export interface EventSink {
  /** Validates `value` against the topic's schema, then queues it; invalid → dead letter. */
  publish(topic: TopicName, key: string, value: object, origin?: string): Promise<void>;
  /** Something a source could not turn into an event (malformed frame, bad row). */
  deadLetter(letter: DeadLetter): Promise<void>;
}
