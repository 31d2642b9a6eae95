/**
 * Issue 11, item 10: SIGTERM during a recovery logged a spurious "streaming failed" (the stop
 * closed what the recovery was reading). A stop that interrupts a recovery must end cleanly.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testKafka } from '../../test/infra.ts';
import { capturedLogger } from '../../test/support/streaming/captured-logger.ts';
import { streamFixture, type StreamFixture } from '../../test/support/streaming/in-process.ts';
import { disorderedTrades, publishTrades } from '../../test/support/streaming/trade-stream.ts';
import { waitForValue } from '../../test/support/streaming/wait.ts';

const fixtures: StreamFixture[] = [];
afterAll(() => Promise.all(fixtures.map((f) => f.cleanup())));

describe('streaming service: stop during a recovery', () => {
  it('ends cleanly, without "streaming failed"', async () => {
    const kafka = testKafka();
    const fx = await streamFixture(kafka, 'stop-recovery', 1);
    fixtures.push(fx);
    const stream = disorderedTrades({ count: 60_000, fromUs: Date.UTC(2024, 3, 1) * 1000, spanMs: 3 * 3_600_000, seed: 31 });
    await publishTrades(kafka, fx.topics.trades, stream.messages.slice(0, 50_000));
    const first = await fx.start();
    await fx.caughtUp(kafka);
    await first.stop();
    // More trades, so that the next instance's first batch starts a recovery of 50,000 trades.
    await publishTrades(kafka, fx.topics.trades, stream.messages.slice(50_000));
    const log = capturedLogger('info');
    const second = await fx.start({ logger: log.logger });
    const finished = second.finished.then(
      () => 'stopped',
      (err: Error) => `failed: ${err.message}`,
    );
    await waitForValue('the recovery to start', async () => (log.lines.some((l) => l.msg === 'partitions assigned') ? true : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 200));
    await second.stop();
    expect(await finished).toBe('stopped');
    expect(log.lines.filter((l) => l.msg === 'streaming failed')).toEqual([]);
  }, 120_000);
});
