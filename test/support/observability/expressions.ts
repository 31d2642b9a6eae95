/**
 * Every PromQL expression the project ships (board panels and variables, recording rules, alert
 * rules), with the services whose series it reads, so a harness can run each one against a
 * Prometheus that scraped those services and say which could not be proved (a service not built).
 */
import fs from 'node:fs';
import YAML from 'yaml';
import type { Dashboard } from '@grafana/schema';
import { promExprs } from '../../../grafana/board-queries.ts';
import { RULE_FILES, metricNamesIn } from '../known-metrics.ts';

export interface ShippedExpr {
  readonly where: string;
  /** As shipped. */
  readonly expr: string;
  /** What is run: alert rules without their threshold (a healthy system must still return the series the alert watches). */
  readonly run: string;
}

interface Rule { alert?: string; record?: string; expr: string }
export function shippedRules(): Rule[] {
  return RULE_FILES.filter((f) => fs.existsSync(f)).flatMap((f) => (YAML.parse(fs.readFileSync(f, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));
}

/** `x > 300` → `x`; `a == 0` → `a`; `A > 0 or B > 0` → `A or B` (comparisons with a number literal). */
export function withoutThresholds(expr: string): string {
  return expr.replace(/\s*(==|!=|>=|<=|>|<)\s*-?\d+(\.\d+)?(?=\s|\)|$)/g, '').trim();
}

export function shippedExpressions(boards: readonly Dashboard[]): ShippedExpr[] {
  const out: ShippedExpr[] = [];
  for (const board of boards) for (const e of promExprs(board)) out.push({ where: e.where, expr: e.expr, run: e.expr });
  for (const r of shippedRules()) {
    if (r.record) out.push({ where: `recording rule ${r.record}`, expr: r.expr, run: r.expr });
    else out.push({ where: `alert ${r.alert}`, expr: r.expr, run: withoutThresholds(r.expr) });
  }
  return out;
}

/** Which running piece exposes a series, by its name. */
export function sourceOf(metric: string): string {
  if (/^marketlake_(producer|binance_ws|poll)_/.test(metric)) return 'producer';
  if (/^marketlake_stream_/.test(metric)) return 'stream';
  if (/^marketlake_backfill/.test(metric) || /^temporal_/.test(metric)) return 'worker';
  if (/^marketlake_lake_(table_|small_files|last_maintenance)/.test(metric)) return 'worker';
  if (/^marketlake_lake_commit_conflicts/.test(metric)) return 'stream';
  if (/^marketlake_(quality_|lake_latest_event)/.test(metric)) return 'qualityChecks workflow';
  if (/^marketlake_transform_/.test(metric)) return 'goldBuild workflow';
  if (/^marketlake_(http|api)_/.test(metric)) return 'api';
  if (/^(workflow_|schedule_)/.test(metric)) return 'temporal';
  return 'any';
}

/** The pieces an expression needs, following recording rules to the series they read. */
export function sourcesOf(expr: string, rules: ReadonlyMap<string, string> = new Map(shippedRules().filter((r) => r.record).map((r) => [r.record!, r.expr]))): Set<string> {
  const out = new Set<string>();
  for (const name of metricNamesIn(expr)) {
    const recorded = rules.get(name);
    if (recorded) for (const s of sourcesOf(recorded, rules)) out.add(s);
    else out.add(sourceOf(name.replace(/_(bucket|sum|count)$/, '')));
  }
  out.delete('any');
  return out;
}
