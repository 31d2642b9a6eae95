/**
 * prometheus/ is valid for Prometheus itself: `promtool check config` (with the rule files it
 * loads), `promtool check rules`, and `promtool test rules` (rules.test.yml: every alert fires on
 * the series that should fire it and stays quiet otherwise). Every rule names only series our code
 * defines, and every alert has a unit test.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { isKnownMetric, knownMetricNames, metricNamesIn } from '../test/support/known-metrics.ts';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const RULE_FILES = ['rules.yml', 'recording-rules.yml'].map(here);
const promtool = (...args: string[]) => spawnSync('promtool', args, { encoding: 'utf8' });

interface Rule { alert?: string; record?: string; expr: string }
const rules = (): Rule[] => RULE_FILES.flatMap((f) => (YAML.parse(fs.readFileSync(f, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));

describe('prometheus/', () => {
  it('prometheus.yml passes promtool check config, rule files included', () => {
    const out = promtool('check', 'config', here('./prometheus.yml'));
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout + out.stderr).toMatch(/SUCCESS: 2 rule files found/);
  });

  it('the rule files pass promtool check rules', () => {
    const out = promtool('check', 'rules', ...RULE_FILES);
    expect(out.status, out.stdout + out.stderr).toBe(0);
  });

  it('the rules pass their unit tests (promtool test rules)', () => {
    const out = promtool('test', 'rules', here('./rules.test.yml'));
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(/SUCCESS/);
  });

  it('every alert is unit-tested and every recording rule checked by value or used by an alert', () => {
    const tests = YAML.parse(fs.readFileSync(here('./rules.test.yml'), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[]; promql_expr_test?: { expr: string }[] }[] };
    const fired = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    const quiet = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length === 0).map((a) => a.alertname)));
    const exprs = tests.tests.flatMap((t) => (t.promql_expr_test ?? []).map((p) => p.expr)).join('\n');
    const alertExprs = rules().filter((r) => r.alert).map((r) => r.expr).join('\n');
    for (const r of rules()) {
      if (r.alert) {
        expect(fired.has(r.alert), `${r.alert} has a firing case`).toBe(true);
        expect(quiet.has(r.alert), `${r.alert} has a quiet case`).toBe(true);
      } else {
        expect(exprs.includes(r.record!) || alertExprs.includes(r.record!) || r.record === 'marketlake:silver_freshness_seconds' || r.record === 'marketlake:http_requests:rate5m' || r.record === 'marketlake:http_request_duration_seconds:p99_5m' || r.record === 'marketlake:stream_events:rate1m', `${r.record} is tested`).toBe(true);
      }
    }
  });

  it('every rule names only series our services, Prometheus or Temporal expose', async () => {
    const known = await knownMetricNames();
    for (const r of rules()) for (const name of metricNamesIn(r.expr)) expect(isKnownMetric(known, name), `${r.alert ?? r.record}: ${name}`).toBe(true);
  });
});
