/**
 * The boards as shipped: the committed JSON is what the code renders, every query's data source is
 * provisioned, every dashboard type-checks against @grafana/schema (the JSON itself, each panel's
 * options against its panel plugin's `Options`), every PromQL expression parses (promtool) and
 * names only series our services or recording rules define.
 * That the expressions return data, and the Infinity URLs answer with the mapped columns, is proved
 * against running services in test/observability.int.test.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Dashboard } from '@grafana/schema';
import { DASHBOARD_DIR, loadDashboards, renderDashboards } from './build.ts';
import { boardQueries, infinityQueries, promExprs } from './board-queries.ts';
import { isKnownMetric, knownMetricNames, metricNamesIn } from '../test/support/known-metrics.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const provisioningDir = fileURLToPath(new URL('./provisioning/', import.meta.url));

interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  url?: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
}
function provisionedDatasources(): ProvisionedDatasource[] {
  const dir = path.join(provisioningDir, 'datasources');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yml')).flatMap((f) => (YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { datasources: ProvisionedDatasource[] }).datasources);
}
async function committedBoards(): Promise<Map<string, Dashboard>> {
  const out = new Map<string, Dashboard>();
  for (const name of (await renderDashboards()).keys()) out.set(name, JSON.parse(fs.readFileSync(path.join(DASHBOARD_DIR, name), 'utf8')) as Dashboard);
  return out;
}

/** Panel type → the module of @grafana/schema holding its plugin's generated Options (and FieldConfig, for those marked). */
const WITH_FIELD_CONFIG = new Set(['timeseries', 'candlestick', 'state-timeline', 'table']);
const PANEL_CFG: Record<string, string> = {
  timeseries: 'timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen',
  stat: 'stat/panelcfg/x/StatPanelCfg_types.gen',
  table: 'table/panelcfg/x/TablePanelCfg_types.gen',
  candlestick: 'candlestick/panelcfg/x/CandlestickPanelCfg_types.gen',
  'state-timeline': 'statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen',
  bargauge: 'bargauge/panelcfg/x/BarGaugePanelCfg_types.gen',
  text: 'text/panelcfg/x/TextPanelCfg_types.gen',
};

describe('Grafana dashboards as code', () => {
  it('the committed JSON is what the TypeScript definitions generate (run npm run grafana:build)', async () => {
    const rendered = await renderDashboards();
    expect([...rendered.keys()].sort()).toEqual(fs.readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json')).sort());
    for (const [name, json] of rendered) expect(fs.readFileSync(path.join(DASHBOARD_DIR, name), 'utf8'), `${name} is stale: run npm run grafana:build`).toBe(json);
  });

  it('has the Market, Data quality, Backfills, Lake, Pipeline and Services boards', async () => {
    const titles = [...(await committedBoards()).values()].map((b) => b.title);
    for (const t of ['market', 'data quality', 'backfills & workflows', 'lake', 'pipeline', 'services']) expect(titles).toContain(`marketlake / ${t}`);
  });

  it('every query reads a provisioned data source of the right type; ids, uids and the grid are sound', async () => {
    const provisioned = new Map(provisionedDatasources().map((d) => [d.uid, d]));
    const seenUids = new Set<string>();
    for (const [name, board] of await committedBoards()) {
      expect(seenUids.has(board.uid!), `${name} uid unique`).toBe(false);
      seenUids.add(board.uid!);
      const ids = (board.panels ?? []).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of board.panels ?? []) {
        expect(panel.gridPos!.x + panel.gridPos!.w).toBeLessThanOrEqual(24);
        if (panel.type === 'text') continue;
        const ds = provisioned.get(panel.datasource?.uid ?? '');
        expect(ds, `${name} / ${panel.title}: datasource ${panel.datasource?.uid} is provisioned`).toBeDefined();
        expect(ds!.type).toBe(panel.datasource!.type);
        expect((panel as { targets?: unknown[] }).targets?.length, `${name} / ${panel.title} has queries`).toBeGreaterThan(0);
      }
      for (const q of boardQueries(board)) {
        const ds = provisioned.get(q.datasource?.uid ?? '');
        expect(ds, `${q.where}: datasource ${q.datasource?.uid} is provisioned`).toBeDefined();
        expect(ds!.type, q.where).toBe(q.datasource!.type);
      }
    }
  });

  it('the Infinity data source points at the API with its key from the environment, and queries stay on it', async () => {
    const api = provisionedDatasources().filter((d) => d.type === 'yesoreyeram-infinity-datasource');
    expect(api).toHaveLength(1);
    expect(api[0].url).toMatch(/^\$\{?[A-Z_]+\}?$/);
    expect(api[0].jsonData?.auth_method).toBe('apiKey');
    expect(api[0].secureJsonData?.apiKeyValue, 'the key comes from the environment, not the file').toMatch(/^\$\{?[A-Z_]+\}?$/);
    for (const board of (await committedBoards()).values()) {
      for (const { where, query } of infinityQueries(board)) {
        expect(query.url, `${where}: relative to the data source URL, so its key is sent`).toMatch(/^\/v1\//);
        expect(query.columns.length, where).toBeGreaterThan(0);
      }
    }
  });

  it('every dashboard type-checks against @grafana/schema: the JSON as Dashboard, each panel\'s options as its plugin\'s Options', async () => {
    // Written inside the repository so that @grafana/schema resolves from node_modules.
    fs.mkdirSync(path.join(root, '.marketlake'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(root, '.marketlake', 'grafana-typecheck-'));
    try {
      const lines = [
        "import type { AnnotationQuery, Dashboard, DataQuery } from '@grafana/schema';",
        ...Object.entries(PANEL_CFG).map(([type, mod], i) => `import type { Options as O${i}${WITH_FIELD_CONFIG.has(type) ? `, FieldConfig as F${i}` : ''} } from '@grafana/schema/dist/esm/raw/composable/${mod}';`),
        '/** String enums accept their values written as literals, as they are in JSON. */',
        'type Json<T> = T extends string ? `${T}` : T extends readonly (infer E)[] ? Json<E>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;',
        '/** Annotation targets are data source queries: a plugin\'s (Infinity\'s) fields beside DataQuery\'s, as panel targets are. */',
        'type Board = Omit<Json<Dashboard>, "annotations"> & { annotations?: { list?: Json<AnnotationQuery<DataQuery & Record<string, unknown>>>[] } };',
      ];
      const fieldCfg = (i: number) => `Partial<Json<F${i}>>`;
      let n = 0;
      for (const [name, board] of await committedBoards()) {
        lines.push(`// ${name}`, `export const board${n} = ${JSON.stringify(board)} satisfies Board;`);
        for (const panel of board.panels ?? []) {
          const idx = Object.keys(PANEL_CFG).indexOf(panel.type);
          expect(idx, `${name} / ${panel.title}: panel type ${panel.type} has a schema here`).toBeGreaterThanOrEqual(0);
          lines.push(`export const b${n}p${panel.id}o = ${JSON.stringify((panel as { options?: unknown }).options ?? {})} satisfies Json<O${idx}>;`);
          const custom = (panel as { fieldConfig?: { defaults?: { custom?: unknown } } }).fieldConfig?.defaults?.custom;
          if (custom && WITH_FIELD_CONFIG.has(panel.type)) lines.push(`export const b${n}p${panel.id}f = ${JSON.stringify(custom)} satisfies ${fieldCfg(idx)};`);
        }
        n += 1;
      }
      fs.writeFileSync(path.join(dir, 'boards.ts'), `${lines.join('\n')}\n`);
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: path.join(root, 'tsconfig.json'), include: ['boards.ts'], compilerOptions: { noEmit: true, noUnusedLocals: false } }));
      const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8' });
      expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('every PromQL expression parses (promtool) and names only series that our code or recording rules define', async () => {
    const known = await knownMetricNames();
    const rules: { record: string; expr: string }[] = [];
    for (const board of (await committedBoards()).values()) {
      for (const { where, expr } of promExprs(board)) {
        rules.push({ record: `board:expr_${rules.length}:check`, expr });
        for (const name of metricNamesIn(expr)) expect(isKnownMetric(known, name), `${where}: ${name} in ${expr}`).toBe(true);
      }
    }
    expect(rules.length).toBeGreaterThan(40);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'boards-promql-')), 'boards.rules.yml');
    fs.writeFileSync(file, YAML.stringify({ groups: [{ name: 'boards', rules }] }));
    const out = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    expect(out.status, out.stdout + out.stderr).toBe(0);
  });
});
