/**
 * Simulator → KafkaPublisher → Kafka, against a bare kafkajs producer sending pre-built messages
 * of the same size with the same producer settings (idempotent, acks=all, one send in flight,
 * same batch bounds and compression) in the same run. Rounds alternate between the two so
 * that noise from other work on the machine hits both. The ratio is the median over rounds of
 * each round's publisher / bare pair: the bare producer's rate swings more between rounds
 * (±15% here), so comparing the best of each mostly measures its luckiest round. The medians
 * and the best of each (and their ratio) are reported too.
 * Then the publish-to-ack latency at a paced 10k trades/s.
 *
 * Env: BENCH_PRODUCER_TRADES (default 400000), BENCH_PRODUCER_ROUNDS (5),
 * BENCH_PRODUCER_LATENCY_RATE (10000), BENCH_PRODUCER_LATENCY_SECONDS (5),
 * BENCH_PRODUCER_COMPRESSION (none | gzip), BENCH_PRODUCER_SENDER_THREAD (true | false).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CompressionTypes, Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { createLogger } from '../common/logger.ts';
import { tradeKey } from '../common/events/index.ts';
import { TOPICS } from '../common/topics.ts';
import { createTopicsWithLeaders } from '../stack/topics.ts';
import { encodeTrade, generateTrades, KafkaPublisher, runSimulator, type PublisherCompression } from '../producers/index.ts';
import { median, percentile } from './stats.ts';
import type { Benchmark } from './harness.ts';

const envInt = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const BATCH_EVENTS = 5_000;
const BATCH_BYTES = 900_000;
/** BENCH_PRODUCER_SENDER_THREAD=false measures the publisher with kafkajs on its own thread. */
const senderThread = process.env.BENCH_PRODUCER_SENDER_THREAD !== 'false';

async function createTopic(kafka: Kafka, name: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(admin, [{ topic: name, numPartitions: 6, replicationFactor: 1 }]);
  } finally {
    await admin.disconnect();
  }
  return name;
}

/** The reference: kafkajs alone, pre-built messages, sequential sends of the same batch bounds. */
async function bareKafkajs(kafka: Kafka, topic: string, messages: readonly Message[], compression: CompressionTypes): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = performance.now();
  let i = 0;
  while (i < messages.length) {
    const batch: Message[] = [];
    let bytes = 0;
    while (i < messages.length && batch.length < BATCH_EVENTS) {
      const m = messages[i];
      const size = (m.value as string).length + (m.key as string).length;
      if (batch.length > 0 && bytes + size > BATCH_BYTES) break;
      batch.push(m);
      bytes += size;
      i += 1;
    }
    await producer.sendBatch({ topicMessages: [{ topic, messages: batch }], acks: -1, compression });
  }
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return messages.length / seconds;
}

async function connected(publisher: KafkaPublisher): Promise<void> {
  while (!publisher.isConnected) await new Promise((r) => setTimeout(r, 10));
}

async function ours(brokers: string[], topic: string, trades: number, compression: PublisherCompression): Promise<number> {
  const publisher = new KafkaPublisher({
    brokers, name: 'bench', logger: createLogger('bench', 'warn'), topicNames: { [TOPICS.trades]: topic },
    batchEvents: BATCH_EVENTS, batchBytes: BATCH_BYTES, compression, senderThread,
  }).start();
  // Like the reference, which connects before its clock starts.
  await connected(publisher);
  const started = performance.now();
  await runSimulator(publisher, new AbortController().signal, { ratePerSecond: 'max', maxTrades: trades, seed: 7 });
  const report = await publisher.close();
  const seconds = (performance.now() - started) / 1000;
  if (report.delivered !== trades) throw new Error(`publisher delivered ${report.delivered} of ${trades}`);
  return trades / seconds;
}

const bench: Benchmark = {
  name: 'producers-publish',
  description: 'simulator → KafkaPublisher → Kafka vs bare kafkajs with pre-built messages; latency at 10k trades/s',
  needs: ['kafka'],
  targets: { 'publisher_vs_bare_kafkajs': { min: 0.7 }, 'publisher_trades_per_s': { min: 200_000 } },
  async run(ctx) {
    const brokers = ctx.kafkaBrokers!;
    const trades = envInt('BENCH_PRODUCER_TRADES', 400_000);
    const rounds = envInt('BENCH_PRODUCER_ROUNDS', 5);
    const compressionName = (process.env.BENCH_PRODUCER_COMPRESSION ?? 'none') as PublisherCompression;
    const compression = compressionName === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.WARN });

    // The reference's messages: the same simulator's trades, serialised the same way, built up front.
    const sample = generateTrades({ count: trades, fromUs: Date.now() * 1000, toUs: Date.now() * 1000 + 60e6, seed: 7 });
    const messages: Message[] = sample.map((t) => ({ key: tradeKey(t), value: (encodeTrade(t) as { json: string }).json }));
    const avgBytes = messages.reduce((s, m) => s + (m.value as string).length, 0) / messages.length;
    ctx.log(`${trades} trades per round, ${avgBytes.toFixed(0)} bytes per message, compression ${compressionName}`);

    const refRates: number[] = [];
    const ourRates: number[] = [];
    const pairedRatios: number[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      const ref = await bareKafkajs(kafka, await createTopic(kafka, `bench.ref.${randomUUID().slice(0, 8)}`), messages, compression);
      const mine = await ours(brokers, await createTopic(kafka, `bench.ours.${randomUUID().slice(0, 8)}`), trades, compressionName);
      ctx.log(`round ${round}: bare kafkajs ${Math.round(ref)}/s, publisher ${Math.round(mine)}/s, ratio ${(mine / ref).toFixed(2)}`);
      refRates.push(ref);
      ourRates.push(mine);
      pairedRatios.push(mine / ref);
    }
    const bestRef = Math.max(...refRates);
    const bestOurs = Math.max(...ourRates);

    // Latency at a paced rate: publish() to broker ack, per event.
    const rate = envInt('BENCH_PRODUCER_LATENCY_RATE', 10_000);
    const seconds = envInt('BENCH_PRODUCER_LATENCY_SECONDS', 5);
    const latencies: number[] = [];
    const publisher = new KafkaPublisher({
      brokers, name: 'bench-latency', logger: createLogger('bench', 'warn'), compression: compressionName, senderThread,
      topicNames: { [TOPICS.trades]: await createTopic(kafka, `bench.lat.${randomUUID().slice(0, 8)}`) },
      onDeliveryLatency: (ms) => latencies.push(ms),
    }).start();
    // Steady state: the clock starts once the producer is connected (its thread started, the
    // idempotent producer id obtained), not with events queueing behind the connection.
    await connected(publisher);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), seconds * 1000);
    const started = performance.now();
    const { published } = await runSimulator(publisher, abort.signal, { ratePerSecond: rate, seed: 11 });
    const achieved = published / ((performance.now() - started) / 1000);
    clearTimeout(timer);
    await publisher.close();
    const sorted = Float64Array.from(latencies).sort();
    ctx.log(`latency run: ${published} trades at ${Math.round(achieved)}/s`);

    return {
      figures: {
        publisher_trades_per_s: Math.round(median(ourRates)),
        bare_kafkajs_messages_per_s: Math.round(median(refRates)),
        publisher_best_trades_per_s: Math.round(bestOurs),
        bare_kafkajs_best_messages_per_s: Math.round(bestRef),
        best_vs_best_ratio: Number((bestOurs / bestRef).toFixed(3)),
        message_bytes: Math.round(avgBytes),
        latency_rate_trades_per_s: Math.round(achieved),
        latency_p50_ms: Number(percentile(sorted, 50).toFixed(2)),
        latency_p99_ms: Number(percentile(sorted, 99).toFixed(2)),
      },
      ratios: { publisher_vs_bare_kafkajs: median(pairedRatios) },
    };
  },
};

export default bench;
