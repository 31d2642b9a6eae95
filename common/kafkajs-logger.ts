/** Routes kafkajs's own log lines into our pino logger, so every line stays structured JSON. */
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from './logger.ts';

/**
 * kafkajs logs at ERROR every answer it retries while a fresh broker elects its group
 * coordinator ("The group coordinator is not available", "...is loading"), a few lines at every
 * start. They are expected and retried at once, so they are kept at debug, not shown as failures.
 */
const HARMLESS_AT_START = /group coordinator is not available|coordinator is loading|not the correct coordinator|There is no leader for this topic-partition as we are in the middle of a leadership election/i;

export function isHarmlessStartupNoise(entry: { message?: string; error?: unknown }): boolean {
  return HARMLESS_AT_START.test(`${entry.message ?? ''} ${typeof entry.error === 'string' ? entry.error : ''}`);
}

export function kafkajsLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const fields = { namespace, ...extra };
      if (level <= logLevel.WARN && isHarmlessStartupNoise(log)) kafkaLogger.debug(fields, message);
      else if (level === logLevel.ERROR) kafkaLogger.error(fields, message);
      else if (level === logLevel.WARN) kafkaLogger.warn(fields, message);
      else if (level === logLevel.INFO) kafkaLogger.info(fields, message);
      else kafkaLogger.debug(fields, message);
    };
}

/** kafkajs's level for our LOG_LEVEL (kafkajs is chatty at INFO; its WARN is what matters). */
export function kafkajsLevel(level: string): logLevel {
  if (level === 'debug' || level === 'trace') return logLevel.DEBUG;
  if (level === 'silent' || level === 'fatal') return logLevel.NOTHING;
  if (level === 'error') return logLevel.ERROR;
  return logLevel.WARN;
}
