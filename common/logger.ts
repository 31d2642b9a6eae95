/**
 * Structured logs: one JSON object a line on stdout (pino), with the service name on every line
 * so that logs of several processes can be merged and filtered.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export function createLogger(service: string, level: LevelWithSilent = (process.env.LOG_LEVEL as LevelWithSilent) ?? 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
