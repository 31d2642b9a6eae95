/**
 * The Prometheus series names our code can expose, found without starting anything: every
 * `marketlake_*` string literal in the services' source (prom-client metric names), Node's default
 * metrics as common/metrics.ts registers them, the recording rules of prometheus/rules.yml, and the
 * few series Prometheus and the Temporal server expose themselves. Board and rule tests check each
 * expression names only these (a typo or a renamed metric fails here before it shows an empty panel).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { createMetricsRegistry } from '../../common/metrics.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE_DIRS = ['common', 'lake', 'producers', 'streaming', 'transforms', 'workflows', 'api', 'cli'];
export const RULE_FILES = ['prometheus/rules.yml', 'prometheus/recording-rules.yml'].map((f) => path.join(root, f));

/**
 * Series that Prometheus itself, the Temporal server (job "temporal") and the Temporal SDK (appended
 * to the worker's /metrics with the prefix temporal_) expose; names as seen on their /metrics.
 */
const EXTERNAL = [
  'up', 'scrape_duration_seconds', 'ALERTS',
  'workflow_success', 'workflow_failed', 'schedule_action_success',
  'temporal_workflow_completed', 'temporal_workflow_failed', 'temporal_workflow_endtoend_latency', 'temporal_activity_execution_failed',
  'temporal_activity_execution_latency', 'temporal_worker_task_slots_used', 'temporal_worker_task_slots_available',
];

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

export function recordingRuleNames(): string[] {
  return RULE_FILES.filter((f) => fs.existsSync(f)).flatMap((f) => (YAML.parse(fs.readFileSync(f, 'utf8')) as { groups: { rules: { record?: string }[] }[] }).groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
}

export async function knownMetricNames(): Promise<Set<string>> {
  const names = new Set<string>(EXTERNAL);
  for (const file of SOURCE_DIRS.flatMap((d) => sourceFiles(path.join(root, d)))) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/['"`](marketlake_[a-z0-9_]+)['"`]/g)) names.add(m[1]);
  }
  for (const m of await createMetricsRegistry('probe').getMetricsAsJSON()) names.add(m.name);
  for (const r of recordingRuleNames()) names.add(r);
  return names;
}

/** The metric names an expression selects: identifiers outside label matchers, strings and grouping clauses that are not PromQL functions or keywords.  */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const out = new Set<string>();
  for (const m of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\(|\[|\{|\b)/g)) {
    const [, name, next] = m;
    if (next === '(') continue; // a function call
    if (/^(and|or|unless|bool|offset|by|without|on|ignoring|group_left|group_right|inf|nan|e)$/i.test(name)) continue;
    if (!/^(marketlake|up$|ALERTS|workflow_|schedule_|scrape_|temporal_)/.test(name)) continue;
    out.add(name);
  }
  return [...out];
}

/** A name is known as itself or as a histogram's `_bucket`, `_sum` or `_count` series. */
export function isKnownMetric(known: ReadonlySet<string>, name: string): boolean {
  return known.has(name) || known.has(name.replace(/_(bucket|sum|count)$/, ''));
}
