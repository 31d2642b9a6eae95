/**
 * Small builders for Grafana panels, typed with @grafana/schema (each panel's options with its own
 * panel plugin's generated `Options` type, starting from that plugin's defaults), so dashboards are
 * code: reviewed in diffs, generated into grafana/dashboards/*.json by `npm run grafana:build`.
 * A query is either PromQL (`{ expr }`, against Prometheus) or an Infinity query against our API
 * (grafana/infinity.ts); one panel reads one data source.
 */
import type { DataTransformerConfig, Dashboard, FieldConfigSource, Panel, VariableModel, AnnotationQuery, DataSourceRef } from '@grafana/schema';
import { BigValueColorMode, BigValueGraphMode, GraphDrawStyle, LegendDisplayMode, SortOrder, TooltipDisplayMode, VisibilityMode, type GraphFieldConfig, type VizLegendOptions, type VizTooltipOptions } from '@grafana/schema';
import { defaultOptions as candlestickDefaults, type Options as CandlestickOptions, type CandlestickFieldMap, VizDisplayMode } from '@grafana/schema/dist/esm/raw/composable/candlestick/panelcfg/x/CandlestickPanelCfg_types.gen';
import { defaultOptions as statDefaults, type Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import { defaultOptions as tableDefaults, type Options as TableOptions } from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type { Options as TimeSeriesOptions } from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
import { defaultOptions as timelineDefaults, defaultFieldConfig as timelineFieldDefaults, type Options as StateTimelineOptions } from '@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen';
import { defaultOptions as barGaugeDefaults, type Options as BarGaugeOptions } from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import { defaultOptions as textDefaults, TextMode, type Options as TextOptions } from '@grafana/schema/dist/esm/raw/composable/text/panelcfg/x/TextPanelCfg_types.gen';
import { PROMETHEUS, MARKETLAKE_API } from './datasources.ts';
import { isInfinityQuery, type InfinityQuery } from './infinity.ts';

export { PROMETHEUS, MARKETLAKE_API };

export interface PromQuery {
  readonly expr: string;
  readonly legend?: string;
  /** One value per series at the end of the range (stat and table panels). */
  readonly instant?: boolean;
  /** `table` keeps labels as columns (table panels). */
  readonly format?: 'time_series' | 'table';
}
/** Kept for the boards written before Infinity queries existed. */
export type Query = PromQuery;
export type AnyQuery = PromQuery | InfinityQuery;

type Overrides = FieldConfigSource['overrides'];
type Defaults = FieldConfigSource['defaults'];

export interface PanelOpts {
  readonly w?: number;
  readonly h?: number;
  readonly unit?: string;
  readonly description?: string;
  readonly decimals?: number;
  readonly min?: number;
  readonly max?: number;
  readonly thresholds?: Defaults['thresholds'];
  readonly mappings?: Defaults['mappings'];
  readonly overrides?: Overrides;
  readonly transformations?: DataTransformerConfig[];
  readonly custom?: Record<string, unknown>;
}

function promTarget(q: PromQuery, refId: string): Record<string, unknown> {
  return {
    refId,
    datasource: PROMETHEUS,
    expr: q.expr,
    legendFormat: q.legend ?? '',
    ...(q.instant ? { instant: true, range: false } : { range: true }),
    ...(q.format ? { format: q.format } : {}),
  };
}

function targetsOf(queries: readonly AnyQuery[]): { datasource: DataSourceRef; targets: Record<string, unknown>[] } {
  const refId = (i: number) => String.fromCharCode(65 + i);
  const datasource = queries.every(isInfinityQuery) ? MARKETLAKE_API : PROMETHEUS;
  if (queries.some((q) => isInfinityQuery(q) !== (datasource === MARKETLAKE_API))) throw new Error('one panel reads one data source');
  const targets = queries.map((q, i) => (isInfinityQuery(q) ? { ...q, refId: refId(i) } : promTarget(q, refId(i))));
  return { datasource, targets };
}

function fieldConfig(opts: PanelOpts, custom?: Record<string, unknown>): FieldConfigSource {
  const defaults: Defaults = { unit: opts.unit ?? 'short' };
  if (opts.decimals !== undefined) defaults.decimals = opts.decimals;
  if (opts.min !== undefined) defaults.min = opts.min;
  if (opts.max !== undefined) defaults.max = opts.max;
  if (opts.thresholds) defaults.thresholds = opts.thresholds;
  if (opts.mappings) defaults.mappings = opts.mappings;
  const merged = { ...custom, ...opts.custom };
  if (Object.keys(merged).length > 0) defaults.custom = merged;
  return { defaults, overrides: opts.overrides ?? [] };
}

function panel(type: string, title: string, queries: readonly AnyQuery[], options: object, opts: PanelOpts, size: { w: number; h: number }, custom?: Record<string, unknown>): Panel {
  const { datasource, targets } = targetsOf(queries);
  const p: Panel = {
    type,
    title,
    datasource,
    gridPos: { x: 0, y: 0, w: opts.w ?? size.w, h: opts.h ?? size.h },
    fieldConfig: fieldConfig(opts, custom),
    options: options as Record<string, unknown>,
    targets,
  };
  if (opts.description) p.description = opts.description;
  if (opts.transformations) p.transformations = opts.transformations;
  return p;
}

const legend: VizLegendOptions = { displayMode: LegendDisplayMode.List, placement: 'bottom', showLegend: true, calcs: [] };
const tooltip: VizTooltipOptions = { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending };

export function timeseries(title: string, queries: readonly AnyQuery[], opts: PanelOpts & { draw?: Partial<GraphFieldConfig> } = {}): Panel {
  const options: TimeSeriesOptions = { legend, tooltip };
  return panel('timeseries', title, queries, options, opts, { w: 12, h: 8 }, opts.draw as Record<string, unknown> | undefined);
}

export function stat(title: string, query: AnyQuery, opts: PanelOpts & { graph?: boolean } = {}): Panel {
  const options: StatOptions = {
    ...(statDefaults as StatOptions),
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    orientation: 'auto' as StatOptions['orientation'],
    colorMode: BigValueColorMode.Value,
    graphMode: opts.graph === false ? BigValueGraphMode.None : BigValueGraphMode.Area,
  };
  return panel('stat', title, [query], options, opts, { w: 6, h: 4 });
}

export function table(title: string, queries: readonly AnyQuery[], opts: PanelOpts & { sortBy?: { displayName: string; desc: boolean }[] } = {}): Panel {
  const options: TableOptions = { ...(tableDefaults as TableOptions), sortBy: opts.sortBy ?? [], cellHeight: 'sm' as TableOptions['cellHeight'] };
  return panel('table', title, queries, options, opts, { w: 12, h: 8 });
}

export function candlestick(title: string, queries: readonly AnyQuery[], fields: CandlestickFieldMap, opts: PanelOpts = {}): Panel {
  const options: CandlestickOptions = {
    ...(candlestickDefaults as CandlestickOptions),
    mode: VizDisplayMode.CandlesVolume,
    fields,
    includeAllFields: true,
    legend,
    tooltip,
  };
  return panel('candlestick', title, queries, options, opts, { w: 24, h: 12 }, { drawStyle: GraphDrawStyle.Line, lineWidth: 1, showPoints: VisibilityMode.Never, spanNulls: true });
}

export function stateTimeline(title: string, queries: readonly AnyQuery[], opts: PanelOpts = {}): Panel {
  const options: StateTimelineOptions = { ...(timelineDefaults as StateTimelineOptions), legend, tooltip, showValue: VisibilityMode.Never };
  return panel('state-timeline', title, queries, options, opts, { w: 24, h: 8 }, { ...timelineFieldDefaults });
}

export function barGauge(title: string, queries: readonly AnyQuery[], opts: PanelOpts = {}): Panel {
  const options: BarGaugeOptions = { ...(barGaugeDefaults as BarGaugeOptions), legend, reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, orientation: 'horizontal' as BarGaugeOptions['orientation'] };
  return panel('bargauge', title, queries, options, opts, { w: 12, h: 8 });
}

/** A markdown note (no query): what the board shows and where the data comes from. */
export function text(title: string, markdown: string, opts: { w?: number; h?: number } = {}): Panel {
  const options: TextOptions = { ...(textDefaults as TextOptions), mode: TextMode.Markdown, content: markdown };
  return { type: 'text', title, gridPos: { x: 0, y: 0, w: opts.w ?? 24, h: opts.h ?? 3 }, options: options as unknown as Record<string, unknown> };
}

/** Traffic-light thresholds: green below `warn`, orange from `warn`, red from `crit`. */
export function thresholds(warn: number, crit: number): NonNullable<Defaults['thresholds']> {
  return { mode: 'absolute' as NonNullable<Defaults['thresholds']>['mode'], steps: [{ color: 'green', value: null }, { color: 'orange', value: warn }, { color: 'red', value: crit }] };
}

/** Right-hand axis for the named fields (a second unit beside the price). */
export function rightAxis(fieldNames: readonly string[], unit?: string): Overrides {
  return fieldNames.map((name) => ({
    matcher: { id: 'byName', options: name },
    properties: [{ id: 'custom.axisPlacement', value: 'right' }, ...(unit ? [{ id: 'unit', value: unit }] : [])],
  }));
}

/** Draws the named fields as bars (MACD histogram). */
export function bars(fieldNames: readonly string[]): Overrides {
  return fieldNames.map((name) => ({ matcher: { id: 'byName', options: name }, properties: [{ id: 'custom.drawStyle', value: 'bars' }, { id: 'custom.fillOpacity', value: 60 }] }));
}

/** Lays panels out left to right, wrapping at Grafana's 24-column width, and numbers them. */
export function layout(panels: readonly Panel[]): Panel[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return panels.map((p, i) => {
    const w = p.gridPos?.w ?? 12;
    const h = p.gridPos?.h ?? 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed = { ...p, id: i + 1, gridPos: { x, y, w, h } };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return placed;
  });
}

export interface DashboardOpts {
  readonly tags?: string[];
  readonly refresh?: string;
  readonly time?: { from: string; to: string };
  readonly variables?: VariableModel[];
  readonly annotations?: AnnotationQuery[];
  readonly description?: string;
}

/** Grafana's own "Annotations & Alerts" entry, which every dashboard carries. */
const BUILT_IN_ANNOTATIONS: AnnotationQuery = {
  builtIn: 1,
  datasource: { type: 'grafana', uid: '-- Grafana --' },
  enable: true,
  hide: true,
  iconColor: 'rgba(0, 211, 255, 1)',
  name: 'Annotations & Alerts',
  type: 'dashboard',
};

export function dashboard(uid: string, title: string, panels: readonly Panel[], opts: DashboardOpts = {}): Dashboard {
  const board: Dashboard = {
    uid,
    title,
    tags: ['marketlake', ...(opts.tags ?? [])],
    timezone: 'utc',
    editable: false,
    graphTooltip: 1,
    refresh: opts.refresh ?? '10s',
    schemaVersion: 39,
    time: opts.time ?? { from: 'now-1h', to: 'now' },
    panels: layout(panels),
  } as Dashboard;
  if (opts.description) board.description = opts.description;
  if (opts.variables) board.templating = { list: opts.variables };
  if (opts.annotations) board.annotations = { list: [BUILT_IN_ANNOTATIONS, ...opts.annotations] };
  return board;
}
