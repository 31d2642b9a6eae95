/**
 * The publisher's Prometheus series. Created once per registry (several publishers in one
 * process share them). Per-event label lookups are too slow at 200k events/s, so the publisher
 * counts in plain maps and adds to these counters once per batch.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface PublisherMetrics {
  /** Events accepted into the buffer (valid), by topic, source and symbol: rate() gives events/s. */
  readonly accepted: Counter<'topic' | 'source' | 'symbol'>;
  /** Events acknowledged by Kafka, by topic, source and symbol. */
  readonly delivered: Counter<'topic' | 'source' | 'symbol'>;
  /** From `publish` to the broker's acknowledgement. */
  readonly deliveryLatency: Histogram<'topic'>;
  readonly sendErrors: Counter<'kind'>;
  readonly deadLetters: Counter<'source' | 'topic'>;
  /** Events given up on (closed before delivery, or rejected for good by the broker). */
  readonly undelivered: Counter<'topic'>;
  readonly bufferDepth: Gauge<'publisher'>;
  readonly bufferBytes: Gauge<'publisher'>;
  readonly backpressureSeconds: Counter<'publisher'>;
  readonly batchSize: Histogram<never>;
}

const byRegistry = new WeakMap<Registry, PublisherMetrics>();

export function publisherMetrics(registry: Registry): PublisherMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: PublisherMetrics = {
    accepted: new Counter({
      name: 'marketlake_producer_events_accepted_total',
      help: 'Valid events accepted into the publish buffer, by topic, source and symbol',
      labelNames: ['topic', 'source', 'symbol'],
      registers,
    }),
    delivered: new Counter({
      name: 'marketlake_producer_events_delivered_total',
      help: 'Events acknowledged by Kafka, by topic, source and symbol',
      labelNames: ['topic', 'source', 'symbol'],
      registers,
    }),
    deliveryLatency: new Histogram({
      name: 'marketlake_producer_delivery_latency_seconds',
      help: 'Time from publish() to the broker acknowledgement',
      labelNames: ['topic'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    sendErrors: new Counter({
      name: 'marketlake_producer_send_errors_total',
      help: 'Failed Kafka sends (each retried until delivered or given up), by kind',
      labelNames: ['kind'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'marketlake_producer_dead_letters_total',
      help: 'Events or inputs sent to market.deadletter.v1 instead of their topic',
      labelNames: ['source', 'topic'],
      registers,
    }),
    undelivered: new Counter({
      name: 'marketlake_producer_undelivered_total',
      help: 'Events that could not be delivered (publisher closed first, or the broker refused them for good)',
      labelNames: ['topic'],
      registers,
    }),
    bufferDepth: new Gauge({
      name: 'marketlake_producer_buffer_events',
      help: 'Events waiting in the publish buffer',
      labelNames: ['publisher'],
      registers,
    }),
    bufferBytes: new Gauge({
      name: 'marketlake_producer_buffer_bytes',
      help: 'Bytes waiting in the publish buffer',
      labelNames: ['publisher'],
      registers,
    }),
    backpressureSeconds: new Counter({
      name: 'marketlake_producer_backpressure_seconds_total',
      help: 'Time sources spent waiting for room in a full publish buffer',
      labelNames: ['publisher'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'marketlake_producer_batch_events',
      help: 'Events per Kafka send',
      buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
