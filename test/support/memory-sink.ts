/**
 * An EventSink that keeps what it is given, for unit tests of sources. It validates like the
 * real publisher does (the topic's zod schema), so a source that emits a bad event fails here too.
 */
import type { z } from 'zod';
import { deadLetter, deadLetterSchema, type DeadLetter, newsEventSchema, sentimentEventSchema, tickerEventSchema, tradeEventSchema } from '../../common/events/index.ts';
import { TOPICS, type TopicName } from '../../common/topics.ts';
import type { EventSink } from '../../producers/index.ts';

const schemas: Partial<Record<string, z.ZodType>> = {
  [TOPICS.trades]: tradeEventSchema,
  [TOPICS.tickers]: tickerEventSchema,
  [TOPICS.sentiment]: sentimentEventSchema,
  [TOPICS.news]: newsEventSchema,
  [TOPICS.deadletter]: deadLetterSchema,
};

export interface Published {
  readonly topic: string;
  readonly key: string;
  readonly value: object;
}

export class MemorySink implements EventSink {
  readonly published: Published[] = [];
  readonly deadLetters: DeadLetter[] = [];
  /** Extra schemas for topics this sink does not know (e.g. a source's own topic). */
  constructor(private readonly extraSchemas: Record<string, z.ZodType> = {}) {}

  async publish(topic: TopicName, key: string, value: object, origin?: string): Promise<void> {
    const schema = schemas[topic] ?? this.extraSchemas[topic];
    if (!schema) throw new Error(`MemorySink: no schema for topic ${topic}`);
    const result = schema.safeParse(value);
    if (!result.success) {
      this.deadLetters.push(deadLetter({ stage: 'memory-sink', reason: result.error.message, raw: JSON.stringify(value), origin }));
      return;
    }
    this.published.push({ topic, key, value });
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    this.deadLetters.push(deadLetterSchema.parse(letter));
  }

  on<T>(topic: string): T[] {
    return this.published.filter((p) => p.topic === topic).map((p) => p.value as T);
  }
}
