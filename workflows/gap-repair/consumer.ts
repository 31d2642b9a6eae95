/**
 * Gap repair: trade-id gaps on `market.gaps.v1` that the producer could not fill itself (status
 * `open`) start a `backfill` of the affected symbol-days. The workflow id is derived from the gap
 * (exchange, symbol, stream, missing ids), and the start refuses a duplicate id, so the same gap
 * (redelivered, or reported twice) never starts two backfills. Offsets are committed only after
 * the start succeeded or was refused as a duplicate: a crash re-reads and starts nothing twice.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Consumer, Kafka } from 'kafkajs';
import { tradeGapEventSchema, type TradeGapEvent } from '../../common/events/index.ts';
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

export async function startGapRepairConsumer(opts: { kafka: Kafka; client: Client; topic: string; groupId: string; logger: Logger }): Promise<GapRepairConsumer> {
  const consumer: Consumer = opts.kafka.consumer({ groupId: opts.groupId });
  const counts = { started: 0, duplicate: 0, ignored: 0, invalid: 0 };
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      let gap: TradeGapEvent;
      try {
        gap = tradeGapEventSchema.parse(JSON.parse(message.value?.toString('utf8') ?? ''));
      } catch (err) {
        counts.invalid += 1;
        opts.logger.warn({ offset: message.offset, err: (err as Error).message }, 'gap event does not parse: skipped');
        return;
      }
      const outcome = await startGapRepair(opts.client, gap);
      counts[outcome] += 1;
      if (outcome !== 'ignored') opts.logger.info({ workflowId: gapWorkflowId(gap), outcome }, 'gap repair');
    },
  });
  return { counts, stop: () => consumer.disconnect() };
}
