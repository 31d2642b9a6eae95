/**
 * The whole local stack on free ports: up → every component up → a taken port is refused by
 * name → down → no process remains. Uses the same cache as `marketlake stack up`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBaseConfig } from '../common/config.ts';
import { freePort, freePortRun, waitUntil } from './net.ts';
import { TEMPORAL_CONSECUTIVE_PORTS } from './temporal.ts';
import { isAlive } from './processes.ts';
import { Stack, formatStatusTable } from './stack.ts';
import { renderLocalPrometheusConfig } from './prometheus.ts';
import type { StackSettings } from './settings.ts';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { renderDashboards } from '../grafana/build.ts';

describe('marketlake stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-stack-'));
  let stack: Stack | undefined;
  afterAll(async () => {
    await stack?.down();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts Kafka, Temporal + UI and Prometheus, reports them, and stops them without leftovers', async () => {
    const settings: StackSettings = {
      stateDir,
      cacheDir: path.resolve(loadBaseConfig().MARKETLAKE_CACHE_DIR),
      kafka: { port: await freePort(), controllerPort: await freePort(), partitions: 2, tradesPartitions: 3, heapMb: 512 },
      temporal: { port: await freePortRun(TEMPORAL_CONSECUTIVE_PORTS), uiPort: await freePort(), dbFile: path.join(stateDir, 'temporal', 'temporal.db'), namespace: 'default' },
      prometheus: { port: await freePort(), scrapeTargets: { 'marketlake-api': ['127.0.0.1:1'] } },
    };
    stack = new Stack(settings);
    await stack.up();

    const rows = await stack.status();
    expect(rows.map((r) => [r.name, r.state])).toEqual([
      ['Kafka', 'up'],
      ['Temporal', 'up'],
      ['Temporal UI', 'up'],
      ['Prometheus', 'up'],
    ]);
    expect(rows[0].address).toBe(`127.0.0.1:${settings.kafka.port}`);
    expect(rows[2].address).toBe(`http://127.0.0.1:${settings.temporal.uiPort}`);
    expect(formatStatusTable(rows)).toMatch(/Temporal UI\s+http:\/\/127\.0\.0\.1:\d+\s+up/);

    // Prometheus runs our configuration: its targets include the services' scrape jobs.
    const jobs = new Set<string>();
    await waitUntil('Prometheus targets', async () => {
      const targets = await (await fetch(`http://127.0.0.1:${settings.prometheus.port}/api/v1/targets`)).json();
      for (const t of targets.data.activeTargets as { labels: { job: string } }[]) jobs.add(t.labels.job);
      return jobs.has('marketlake-api');
    }, { timeoutMs: 20_000 });
    expect(jobs).toContain('marketlake-api');
    expect(jobs).toContain('prometheus');

    // Every dashboard query and alert expression parses and evaluates on this real Prometheus.
    const exprs: string[] = [];
    for (const json of (await renderDashboards()).values()) {
      for (const panel of JSON.parse(json).panels) for (const t of panel.targets) exprs.push(t.expr);
    }
    const rules = YAML.parse(fs.readFileSync(fileURLToPath(new URL('../prometheus/rules.yml', import.meta.url)), 'utf8'));
    for (const group of rules.groups) for (const rule of group.rules) exprs.push(rule.expr);
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) {
      const res = await fetch(`http://127.0.0.1:${settings.prometheus.port}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = await res.json();
      expect(body.status, `${expr}: ${body.error ?? ''}`).toBe('success');
    }

    // A second `up` is a no-op while everything runs.
    await stack.up();
    const pids = rows.map((r) => r.pid!).filter(Boolean);
    expect(pids.length).toBeGreaterThanOrEqual(3);

    await stack.down();
    expect((await stack.status()).every((r) => r.state === 'down')).toBe(true);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    const leftovers = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(stateDir));
    expect(leftovers).toEqual([]);
    stack = undefined;
  });

  it('refuses a port that is taken, naming the port and the component, and starts nothing', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    const settings: StackSettings = {
      stateDir: path.join(stateDir, 'second'),
      cacheDir: path.resolve(loadBaseConfig().MARKETLAKE_CACHE_DIR),
      kafka: { port: await freePort(), controllerPort: await freePort(), partitions: 1, tradesPartitions: 1, heapMb: 256 },
      temporal: { port: await freePortRun(TEMPORAL_CONSECUTIVE_PORTS), uiPort: taken, dbFile: undefined, namespace: 'default' },
      prometheus: { port: await freePort(), scrapeTargets: {} },
    };
    const second = new Stack(settings);
    try {
      await expect(second.up()).rejects.toThrow(new RegExp(`Temporal: port ${taken} \\(Web UI\\) is already in use.*TEMPORAL_UI_PORT`));
      expect(second.components.some((c) => c.isRunning())).toBe(false);
    } finally {
      await second.down();
      blocker.close();
    }
  });

  it('renders a Prometheus configuration promtool accepts', () => {
    const settings = { prometheus: { port: 9090, scrapeTargets: { 'marketlake-stream': ['127.0.0.1:9102'] } } } as unknown as StackSettings;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prom-'));
    const file = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(file, renderLocalPrometheusConfig(settings));
    expect(fs.readFileSync(file, 'utf8')).toMatch(/127\.0\.0\.1:9102/);
    const check = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
