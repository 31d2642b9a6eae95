import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_DIR, renderDashboards } from './build.ts';

describe('Grafana dashboards as code', () => {
  it('the committed JSON is what the TypeScript definitions generate (run npm run grafana:build)', async () => {
    const rendered = await renderDashboards();
    expect(rendered.size).toBeGreaterThan(0);
    for (const [name, json] of rendered) expect(fs.readFileSync(path.join(DASHBOARD_DIR, name), 'utf8'), name).toBe(json);
  });

  it('every panel queries the provisioned Prometheus datasource, with unique ids and uids', async () => {
    const provisioned = YAML.parse(fs.readFileSync(new URL('./provisioning/datasources/prometheus.yml', import.meta.url), 'utf8'));
    const uids = new Set(provisioned.datasources.map((d: { uid: string }) => d.uid));
    const seenUids = new Set<string>();
    for (const [name, json] of await renderDashboards()) {
      const board = JSON.parse(json);
      expect(seenUids.has(board.uid), `${name} uid unique`).toBe(false);
      seenUids.add(board.uid);
      const ids = board.panels.map((p: { id: number }) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of board.panels) {
        expect(uids.has(panel.datasource.uid), `${name}/${panel.title}`).toBe(true);
        expect(panel.targets.length).toBeGreaterThan(0);
        for (const t of panel.targets) expect(t.expr.length).toBeGreaterThan(0);
        expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      }
    }
  });
});
