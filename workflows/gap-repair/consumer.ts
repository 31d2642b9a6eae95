/**
 * Gap repair: trade-id gaps on `market.gaps.v1` that the producer could not fill itself (status
 * `open`) start a `backfill` of the affected symbol-days. The workflow id is derived from the gap
 * (exchange, symbol, stream, missing ids), and the start refuses a duplicate id, so the same gap
 * (redelivered, or reported twice) never starts two backfills. Offsets are committed only after
 * the start succeeded or was refused as a duplicate: a crash re-reads and starts nothing twice.
 * A message that is not a gap event goes to the dead-letter topic with the reason (before its
 * offset is committed: a failed send retries the message, nothing is dropped).
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { deadLetter, tradeGapEventSchema, type TradeGapEvent } from '../../common/events/index.ts';
import { TOPICS } from '../../common/topics.ts';
import type { Logger } from '../../common/logger.ts';
import type { BackfillInput } from '../backfill/input.ts';
import { BACKFILL_TASK_QUEUE } from '../task-queues.ts';

export function gapWorkflowId(g: Pick<TradeGapEvent, 'exchange' | 'symbol' | 'stream' | 'firstMissingTradeId' | 'lastMissingTradeId'>): string {
  return `gap-repair-${g.exchange}-${g.symbol}-${g.stream}-${g.firstMissingTradeId}-${g.lastMissingTradeId}`;
}

/** The backfill that repairs a gap: the UTC days its missing trades lie in, rewritten from the archive (REST where not published yet). */
export function gapBackfillInput(g: TradeGapEvent): BackfillInput {
  const day = (us: number) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 10);
  return { symbols: [g.symbol], from: day(g.afterTradeTimeUs), to: day(g.beforeTradeTimeUs), source: 'auto', mode: 'all' };
}

export type GapOutcome = 'started' | 'duplicate' | 'ignored';

export async function startGapRepair(client: Client, g: TradeGapEvent): Promise<GapOutcome> {
  if (g.status !== 'open') return 'ignored';
  try {
    await client.workflow.start('backfill', {
      taskQueue: BACKFILL_TASK_QUEUE,
      workflowId: gapWorkflowId(g),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [gapBackfillInput(g)],
      staticSummary: `Gap repair ${g.symbol} trade ids ${g.firstMissingTradeId}..${g.lastMissingTradeId}`,
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'duplicate';
    throw err;
  }
}

export interface GapRepairConsumer {
  readonly counts: Record<GapOutcome | 'invalid', number>;
  stop(): Promise<void>;
}

export async function startGapRepairConsumer(opts: { kafka: Kafka; client: Client; topic: string; groupId: string; logger: Logger; deadLetterTopic?: string }): Promise<GapRepairConsumer> {
  const deadLetterTopic = opts.deadLetterTopic ?? TOPICS.deadletter;
  const producer: Producer = opts.kafka.producer();
  await producer.connect();
  const consumer: Consumer = opts.kafka.consumer({ groupId: opts.groupId });
  const counts = { started: 0, duplicate: 0, ignored: 0, invalid: 0 };
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      let gap: TradeGapEvent;
      try {
        gap = tradeGapEventSchema.parse(JSON.parse(message.value?.toString('utf8') ?? ''));
      } catch (err) {
        const reason = `not a gap event: ${(err as Error).message}`;
        const letter = deadLetter({ stage: 'gap-repair', reason, raw: message.value ?? Buffer.alloc(0), sourceTopic: opts.topic, partition, offset: message.offset });
        await producer.send({ topic: deadLetterTopic, messages: [{ key: message.key, value: JSON.stringify(letter) }] });
        counts.invalid += 1;
        opts.logger.warn({ offset: message.offset, err: (err as Error).message, deadLetterTopic }, 'gap event does not parse: dead-lettered');
        return;
      }
      const outcome = await startGapRepair(opts.client, gap);
      counts[outcome] += 1;
      if (outcome !== 'ignored') opts.logger.info({ workflowId: gapWorkflowId(gap), outcome }, 'gap repair');
    },
  });
  return {
    counts,
    stop: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
