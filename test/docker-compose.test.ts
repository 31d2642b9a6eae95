/**
 * No Docker engine runs here, so docker-compose.yml is checked statically: it parses, every
 * marketlake service runs a command the CLI really has, every mounted file exists, every
 * long-running service has a health check and starts after what it needs, images are pinned, the
 * Grafana plugin our data sources need is installed, and Prometheus scrapes each service where it
 * listens.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../cli/main.ts';
import { TEMPORAL_CLI_VERSION } from '../stack/temporal.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
interface ComposeService {
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
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
  it('has the infrastructure the architecture names', () => {
    for (const name of ['kafka', 'topics', 'temporal', 'prometheus', 'grafana']) expect(compose.services).toHaveProperty(name);
  });

  it('runs every marketlake service: producer, stream, worker and api', () => {
    for (const name of ['producer', 'stream', 'worker', 'api']) expect(compose.services[name]?.image, name).toBe('marketlake:local');
  });

  it('starts each service after what it needs: healthy dependencies, completed one-shot jobs', () => {
    const needs: Record<string, string[]> = { topics: ['kafka'], producer: ['topics'], stream: ['topics'], worker: ['topics', 'temporal'], api: ['topics', 'temporal'], grafana: ['prometheus', 'api'] };
    for (const [name, deps] of Object.entries(needs)) {
      const dependsOn = (compose.services[name].depends_on ?? {}) as Record<string, { condition: string }>;
      for (const dep of deps) expect(dependsOn[dep], `${name} waits for ${dep}`).toBeDefined();
    }
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dep, { condition }] of Object.entries((service.depends_on ?? {}) as Record<string, { condition: string }>)) {
        expect(compose.services[dep], `${name} depends on ${dep}, which exists`).toBeDefined();
        if (condition === 'service_healthy') expect(compose.services[dep].healthcheck, `${dep} can become healthy`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(compose.services[dep].restart, `${dep} is a one-shot job`).toBe('no');
      }
    }
  });

  it('pins every image to a version; Temporal\'s is the CLI the stack builds; Grafana is recent enough for Infinity', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image === 'marketlake:local') continue;
      const [, tag] = (service.image ?? '').split(':');
      expect(tag, `${name}: ${service.image} has a tag`).toMatch(/^v?\d+\.\d+(\.\d+)?$/);
    }
    expect(compose.services.temporal.image).toBe(`temporalio/temporal:${TEMPORAL_CLI_VERSION.replace(/^v/, '')}`);
    expect(Number(compose.services.grafana.image!.split(':')[1].split('.')[0])).toBeGreaterThanOrEqual(10);
  });

  it('installs the Grafana plugin of every provisioned data source and gives the provisioning its environment', () => {
    const dir = path.join(root, 'grafana', 'provisioning', 'datasources');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yml')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
    const types = files.flatMap((text) => (YAML.parse(text) as { datasources: { type: string }[] }).datasources.map((d) => d.type));
    const env = compose.services.grafana.environment ?? {};
    const plugins = String(env.GF_INSTALL_PLUGINS ?? '').split(',').map((p) => p.trim().split(/\s+/)[0]);
    const core = new Set(['prometheus']);
    for (const type of types) if (!core.has(type)) expect(plugins, `plugin ${type}`).toContain(type);
    for (const text of files) for (const m of text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)\}?/g)) expect(env, `grafana sets ${m[1]}`).toHaveProperty(m[1]);
    expect(env.MARKETLAKE_API_URL).toBe('http://api:8000');
    const apiKeys = String(compose.services.api.environment?.API_KEYS ?? '');
    expect(apiKeys, 'the API accepts the key Grafana sends').toBe(env.MARKETLAKE_API_KEY);
    const home = String(env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).replace('/var/lib/grafana/dashboards', path.join(root, 'grafana', 'dashboards'));
    expect(fs.existsSync(home), home).toBe(true);
  });

  it('Prometheus mounts every rule file it loads and scrapes each service on the port it listens on', () => {
    const config = YAML.parse(fs.readFileSync(path.join(root, 'prometheus', 'prometheus.yml'), 'utf8')) as { rule_files: string[]; scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const mounts = (compose.services.prometheus.volumes ?? []).map((v) => v.split(':')[1]);
    for (const rules of config.rule_files) expect(mounts, rules).toContain(`/etc/prometheus/${rules}`);
    const jobs = new Map(config.scrape_configs.map((j) => [j.job_name, j.static_configs[0].targets[0]]));
    for (const service of ['producer', 'stream', 'worker', 'api', 'temporal', 'prometheus']) {
      const target = [...jobs.values()].find((t) => t.startsWith(`${service}:`));
      expect(target, `a scrape job for ${service}`).toBeDefined();
      const port = target!.split(':')[1];
      const s = compose.services[service];
      const listens = [...Object.values(s.environment ?? {}), ...(Array.isArray(s.command) ? s.command : []), ...(s.ports ?? []).map((p) => p.split(':')[1])].map(String);
      expect(listens, `${service} listens on ${port}`).toContain(port);
    }
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

  it("keeps Kafka's and Temporal's data on their volumes, where their (non-root) users can write", () => {
    const mountOf = (service: ComposeService, volume: string) => (service.volumes ?? []).find((v) => v.startsWith(`${volume}:`))?.split(':')[1];
    const kafka = compose.services.kafka as ComposeService & { environment: Record<string, string> };
    expect(kafka.environment.KAFKA_LOG_DIRS).toBe(mountOf(kafka, 'kafka-data'));
    const temporal = compose.services.temporal;
    const args = temporal.command as string[];
    const db = args[args.indexOf('--db-filename') + 1];
    const home = mountOf(temporal, 'temporal-data');
    // The image's user (uid 1000) owns its home; a fresh volume mounted there inherits that.
    expect(home).toBe('/home/temporal');
    expect(db.startsWith(`${home}/`)).toBe(true);
  });
});
