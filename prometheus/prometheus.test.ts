/** The scrape configuration and alert rules are valid for Prometheus itself (promtool). */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

describe('prometheus/', () => {
  it('prometheus.yml passes promtool check config (rules included)', () => {
    const out = spawnSync('promtool', ['check', 'config', here('./prometheus.yml')], { encoding: 'utf8' });
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout + out.stderr).toMatch(/SUCCESS/);
  });

  it('rules.yml passes promtool check rules', () => {
    const out = spawnSync('promtool', ['check', 'rules', here('./rules.yml')], { encoding: 'utf8' });
    expect(out.status, out.stdout + out.stderr).toBe(0);
  });
});
