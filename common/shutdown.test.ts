import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { Shutdown } from './shutdown.ts';

describe('graceful shutdown', () => {
  const logger = createLogger('test', 'silent');

  it('stops components in reverse start order, once', async () => {
    const order: string[] = [];
    const shutdown = new Shutdown(logger, { exit: false });
    shutdown.add('kafka-consumer', () => void order.push('kafka-consumer'));
    shutdown.add('lake-writer', async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push('lake-writer');
    });
    shutdown.add('http', () => void order.push('http'));
    await Promise.all([shutdown.stopAll(), shutdown.stopAll()]);
    expect(order).toEqual(['http', 'lake-writer', 'kafka-consumer']);
  });

  it('bounds a component that hangs and still stops the rest', async () => {
    const order: string[] = [];
    const shutdown = new Shutdown(logger, { exit: false, perComponentTimeoutMs: 50 });
    shutdown.add('first', () => void order.push('first'));
    shutdown.add('hangs', () => new Promise<void>(() => undefined));
    const t0 = Date.now();
    await shutdown.stopAll();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(order).toEqual(['first']);
  });

  it('keeps going when a component throws', async () => {
    const order: string[] = [];
    const shutdown = new Shutdown(logger, { exit: false });
    shutdown.add('a', () => void order.push('a'));
    shutdown.add('b', () => {
      throw new Error('boom');
    });
    await shutdown.stopAll();
    expect(order).toEqual(['a']);
  });
});
