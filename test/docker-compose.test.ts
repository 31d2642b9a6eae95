/**
 * No Docker engine runs here, so docker-compose.yml is checked statically: it parses, every
 * marketlake service runs a command the CLI really has, every mounted file exists, and every
 * long-running service has a health check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../cli/main.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  volumes?: string[];
  healthcheck?: unknown;
  restart?: string;
  depends_on?: unknown;
}
const compose = YAML.parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};

/** Resolves `args` against the CLI's command tree; returns the matched command path or undefined. */
function resolveCommand(program: Command, args: string[]): string | undefined {
  let current = program;
  const pathParts: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('-')) break;
    const sub = current.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    current = sub;
    pathParts.push(arg);
  }
  return pathParts.length > 0 && current.commands.length === 0 ? pathParts.join(' ') : undefined;
}

describe('docker-compose.yml', () => {
  it('has the infrastructure of DESIGN.md', () => {
    for (const name of ['kafka', 'topics', 'temporal', 'prometheus', 'grafana']) expect(compose.services).toHaveProperty(name);
  });

  it('runs only commands the marketlake CLI has', () => {
    const program = buildProgram();
    const ours = Object.entries(compose.services).filter(([, s]) => s.image === 'marketlake:local');
    expect(ours.length).toBeGreaterThan(0);
    for (const [name, service] of ours) {
      const args = Array.isArray(service.command) ? service.command : String(service.command ?? '').split(/\s+/);
      expect(resolveCommand(program, args), `service ${name}: \`marketlake ${args.join(' ')}\``).toBeDefined();
      expect(service.build, `service ${name} builds from the Dockerfile`).toBe('.');
    }
  });

  it('mounts only files and folders that exist, and declares its named volumes', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(fs.existsSync(path.join(root, source)), `${name} mounts ${source}`).toBe(true);
        } else {
          expect(compose.volumes, `${name} uses volume ${source}`).toHaveProperty(source);
        }
      }
    }
  });

  it('gives every long-running service a health check; ours ask the port the service listens on', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.restart === 'no') continue; // one-shot jobs (topic creation)
      expect(service.healthcheck, `${name} has a healthcheck`).toBeDefined();
      if (service.image !== 'marketlake:local') continue;
      const env = (service as { environment?: Record<string, string> }).environment ?? {};
      const test = ((service.healthcheck as { test: string[] }).test ?? []).join(' ');
      const port = /127\.0\.0\.1:(\d+)\/health/.exec(test)?.[1];
      expect(port, `${name} healthcheck calls /health`).toBeDefined();
      expect(Object.values(env), `${name} listens where its healthcheck asks`).toContain(port);
    }
  });

  it('builds from a Dockerfile that installs with npm ci and runs the CLI', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "bin\/marketlake\.js"\]/);
  });
});
