import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from './main.ts';

function allCommands(command: Command, prefix = ''): [string, Command][] {
  return command.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return [[name, c] as [string, Command], ...allCommands(c, `${name} `)];
  });
}

describe('marketlake CLI', () => {
  it('has the commands of the foundation', () => {
    const names = allCommands(buildProgram()).map(([n]) => n);
    for (const expected of ['dev', 'stack', 'stack up', 'stack down', 'stack status']) expect(names).toContain(expected);
  });

  it('has --help with a description for every command', () => {
    for (const [name, command] of allCommands(buildProgram())) {
      expect(command.description(), `${name} has a description`).not.toBe('');
      expect(command.helpInformation()).toMatch(/Usage:/);
    }
  });

  it('rejects an unknown command with an error', async () => {
    const program = buildProgram().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    await expect(program.parseAsync(['node', 'marketlake', 'frobnicate'])).rejects.toThrow(/unknown command/);
  });
});
