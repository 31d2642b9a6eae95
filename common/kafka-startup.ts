/**
 * Waits at a service's start until Kafka answers a metadata request, retrying with backoff for
 * `timeoutMs` (a broker may come up late, e.g. in compose), then fails with one actionable line.
 * Each failed attempt is logged with the hint, so a person watching sees why it waits.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from './logger.ts';
import { KafkaUnreachableError } from './startup-errors.ts';

/** The host of a getaddrinfo ENOTFOUND / EAI_AGAIN error, if that is what `err` is. */
function unknownHostOf(err: unknown): string | undefined {
  const text = `${(err as Error)?.message ?? ''} ${String((err as { cause?: unknown })?.cause ?? '')}`;
  const m = /getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (\S+)/.exec(text);
  return m?.[1];
}

export async function waitForKafka(
  brokers: readonly string[],
  opts: { timeoutMs: number; logger?: Logger; clientId?: string; signal?: AbortSignal },
): Promise<void> {
  const started = Date.now();
  let delayMs = 250;
  for (let attempt = 1; ; attempt++) {
    const admin = new Kafka({
      clientId: opts.clientId ?? 'marketlake-startup',
      brokers: [...brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 2_000,
      requestTimeout: 5_000,
    }).admin();
    let lastError: unknown;
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0) return;
      lastError = new Error('no broker in the cluster metadata');
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const waited = Date.now() - started;
    const unknownHost = unknownHostOf(lastError);
    const cause = (lastError as Error)?.message ?? String(lastError);
    if (waited + delayMs > opts.timeoutMs || opts.signal?.aborted) {
      throw new KafkaUnreachableError(brokers, waited, cause, unknownHost);
    }
    opts.logger?.warn(
      { brokers, attempt, err: cause, retryInMs: delayMs, giveUpInS: Math.round((opts.timeoutMs - waited) / 1000) },
      unknownHost ? `Kafka host "${unknownHost}" is unknown; retrying (check KAFKA_BROKERS)` : 'Kafka is not reachable yet; retrying (is it running? `marketlake stack up`)',
    );
    await new Promise((r) => setTimeout(r, delayMs));
    delayMs = Math.min(delayMs * 2, 5_000);
  }
}
