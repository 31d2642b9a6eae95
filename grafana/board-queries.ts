/**
 * Every query a rendered dashboard makes, wherever it sits (panel targets, template variables,
 * annotations), so that tests can run each PromQL expression against Prometheus and fetch each
 * Infinity URL from the API, and check each one's data source is provisioned.
 */
import type { Dashboard, DataSourceRef } from '@grafana/schema';
import { isInfinityQuery, type InfinityQuery } from './infinity.ts';
import { PROMETHEUS } from './datasources.ts';

export interface BoardQuery {
  /** Where it is used: `<board uid> / <panel title>` (or `variable $x`, `annotation X`). */
  readonly where: string;
  readonly datasource: DataSourceRef | undefined;
  readonly query: Record<string, unknown>;
}

export interface PromExpr {
  readonly where: string;
  readonly expr: string;
}

export function boardQueries(board: Dashboard): BoardQuery[] {
  const out: BoardQuery[] = [];
  for (const panel of board.panels ?? []) {
    const targets = (panel as { targets?: Record<string, unknown>[] }).targets ?? [];
    for (const t of targets) out.push({ where: `${board.uid} / ${panel.title}`, datasource: (t.datasource as DataSourceRef) ?? panel.datasource ?? undefined, query: t });
  }
  for (const v of board.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? { expr: v.query } : ((v.query as { infinityQuery?: Record<string, unknown> }).infinityQuery ?? v.query ?? {});
    out.push({ where: `${board.uid} / variable $${v.name}`, datasource: v.datasource ?? undefined, query: q as Record<string, unknown> });
  }
  for (const a of board.annotations?.list ?? []) {
    if (a.builtIn) continue;
    out.push({ where: `${board.uid} / annotation ${a.name}`, datasource: a.datasource ?? undefined, query: (a.target ?? {}) as Record<string, unknown> });
  }
  return out;
}

export function promExprs(board: Dashboard): PromExpr[] {
  return boardQueries(board)
    .filter((q) => q.datasource?.uid === PROMETHEUS.uid && typeof q.query.expr === 'string')
    .map((q) => ({ where: q.where, expr: q.query.expr as string }));
}

export function infinityQueries(board: Dashboard): { where: string; query: InfinityQuery }[] {
  return boardQueries(board)
    .filter((q) => isInfinityQuery(q.query))
    .map((q) => ({ where: q.where, query: q.query as unknown as InfinityQuery }));
}
