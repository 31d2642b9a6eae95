/**
 * Small builders for Grafana panels, typed with @grafana/schema, so dashboards are code: reviewed
 * in diffs, generated into grafana/dashboards/*.json by `npm run grafana:build`.
 */
import type { Dashboard, Panel } from '@grafana/schema';

export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' } as const;

export interface Query {
  readonly expr: string;
  readonly legend?: string;
}

export function timeseries(title: string, queries: readonly Query[], opts: { unit?: string; w?: number; h?: number; description?: string } = {}): Panel {
  return {
    type: 'timeseries',
    title,
    description: opts.description,
    datasource: PROMETHEUS,
    gridPos: { x: 0, y: 0, w: opts.w ?? 12, h: opts.h ?? 8 },
    fieldConfig: { defaults: { unit: opts.unit ?? 'short' }, overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: queries.map((q, i) => ({ refId: String.fromCharCode(65 + i), datasource: PROMETHEUS, expr: q.expr, legendFormat: q.legend ?? '' })),
  } as Panel;
}

export function stat(title: string, query: Query, opts: { unit?: string; w?: number; h?: number; description?: string } = {}): Panel {
  return {
    type: 'stat',
    title,
    description: opts.description,
    datasource: PROMETHEUS,
    gridPos: { x: 0, y: 0, w: opts.w ?? 6, h: opts.h ?? 4 },
    fieldConfig: { defaults: { unit: opts.unit ?? 'short' }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area' },
    targets: [{ refId: 'A', datasource: PROMETHEUS, expr: query.expr, legendFormat: query.legend ?? '' }],
  } as Panel;
}

/** Lays panels out left to right, wrapping at Grafana's 24-column width, and numbers them. */
export function layout(panels: readonly Panel[]): Panel[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return panels.map((panel, i) => {
    const w = panel.gridPos?.w ?? 12;
    const h = panel.gridPos?.h ?? 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed = { ...panel, id: i + 1, gridPos: { x, y, w, h } };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return placed;
  });
}

export function dashboard(uid: string, title: string, panels: readonly Panel[], opts: { tags?: string[]; refresh?: string } = {}): Dashboard {
  return {
    uid,
    title,
    tags: ['marketlake', ...(opts.tags ?? [])],
    timezone: 'utc',
    editable: false,
    graphTooltip: 1,
    refresh: opts.refresh ?? '10s',
    schemaVersion: 39,
    time: { from: 'now-1h', to: 'now' },
    panels: layout(panels),
  } as Dashboard;
}
