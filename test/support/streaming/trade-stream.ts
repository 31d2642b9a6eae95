/**
 * Test and benchmark load: simulated trades (producers' simulator) made harder the way real feeds
 * are: some trades arrive late (beyond the watermark bound), some twice (producer retries,
 * replays). Published with kafkajs under the `<exchange>:<symbol>` key and the default partitioner.
 */
import { Partitioners, type Kafka } from 'kafkajs';
import { tradeKey, type TradeEvent } from '../../../common/events/index.ts';
import { generateTrades } from '../../../producers/index.ts';

export interface DisorderedStream {
  /** Messages in publishing order (duplicates included). */
  readonly messages: TradeEvent[];
  /** Distinct trades. */
  readonly unique: number;
}

/** `count` distinct trades over `spanMs` of event time; `lateShare` delayed by up to `maxDelay` positions, `dupShare` sent twice. */
export function disorderedTrades(opts: { count: number; fromUs: number; spanMs: number; seed?: number; lateShare?: number; dupShare?: number; maxDelay?: number; symbols?: string[] }): DisorderedStream {
  const trades = generateTrades({ count: opts.count, fromUs: opts.fromUs, toUs: opts.fromUs + opts.spanMs * 1000, seed: opts.seed ?? 7, symbols: opts.symbols });
  let state = (opts.seed ?? 7) * 2654435761;
  const rand = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const lateShare = opts.lateShare ?? 0.01;
  const dupShare = opts.dupShare ?? 0.01;
  const maxDelay = opts.maxDelay ?? 3000;
  // Position at which each message is sent: in order, except delayed ones and the copies.
  const slots: { at: number; t: TradeEvent }[] = [];
  trades.forEach((t, i) => {
    const delayed = rand() < lateShare;
    slots.push({ at: delayed ? i + 1 + Math.floor(rand() * maxDelay) : i, t });
    if (rand() < dupShare) slots.push({ at: i + Math.floor(rand() * maxDelay), t });
  });
  slots.sort((a, b) => a.at - b.at);
  return { messages: slots.map((s) => s.t), unique: trades.length };
}

/** Publishes trades, `perSecond` at most (undefined: as fast as Kafka takes them). */
export async function publishTrades(kafka: Kafka, topic: string, trades: readonly TradeEvent[], opts: { perSecond?: number; signal?: AbortSignal } = {}): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const chunk = 1000;
    const t0 = Date.now();
    for (let i = 0; i < trades.length; i += chunk) {
      if (opts.signal?.aborted) return;
      await producer.send({ topic, messages: trades.slice(i, i + chunk).map((t) => ({ key: tradeKey(t), value: JSON.stringify(t) })) });
      if (opts.perSecond) {
        const due = t0 + ((i + chunk) / opts.perSecond) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }
  } finally {
    await producer.disconnect();
  }
}
