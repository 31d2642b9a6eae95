/** Routes kafkajs's own log lines into our pino logger, so every line stays structured JSON. */
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from './logger.ts';

export function kafkajsLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const fields = { namespace, ...extra };
      if (level === logLevel.ERROR) kafkaLogger.error(fields, message);
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
