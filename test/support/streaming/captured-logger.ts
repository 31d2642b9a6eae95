/** A pino logger whose lines a test can read (each line parsed as the JSON object it is). */
import pino, { type Logger } from 'pino';

export interface CapturedLogger {
  readonly logger: Logger;
  readonly lines: Array<Record<string, unknown> & { msg?: string; level: number }>;
}

export function capturedLogger(level: pino.LevelWithSilent = 'info'): CapturedLogger {
  const lines: CapturedLogger['lines'] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as CapturedLogger['lines'][number]) });
  return { logger, lines };
}
