/** kafkajs's expected start-up retries stay out of the warn/error log; real errors do not. */
import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { kafkajsLogCreator } from './kafkajs-logger.ts';

function capture(): { lines: { level: number; msg: string }[]; log: ReturnType<ReturnType<typeof kafkajsLogCreator>> } {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  return { lines, log: kafkajsLogCreator(logger)(logLevel.DEBUG) };
}

const entry = (message: string, extra: Record<string, unknown> = {}) => ({ message, timestamp: '', logger: 'kafkajs', ...extra });

describe('kafkajs log lines', () => {
  it('"group coordinator is not available" at start is debug, not an error', async () => {
    const { lines, log } = capture();
    log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: entry('Response GroupCoordinator(key: 10, version: 2)', { error: 'The group coordinator is not available', correlationId: 1 }) });
    log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: entry('Response FindCoordinator', { error: 'The coordinator is loading and hence can\'t process requests' }) });
    log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: entry('Connection error: connect ECONNREFUSED 127.0.0.1:1') });
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.level)).toEqual([20, 20, 50]); // debug, debug, error
  });
});
