/** The producer commands (`produce`, `replay`), registered together from cli/main.ts. */
import type { Command } from 'commander';
import { registerProduceCommand } from './produce.ts';
import { registerReplayCommand } from './replay.ts';

export function registerProducerCommands(program: Command): void {
  registerProduceCommand(program);
  registerReplayCommand(program);
}
