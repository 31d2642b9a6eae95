/**
 * `npm run grafana:build`: writes grafana/dashboards/<name>.json from each
 * grafana/dashboards/<name>.dashboard.ts. Grafana's file provisioning loads the JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Dashboard } from '@grafana/schema';

export const DASHBOARD_DIR = fileURLToPath(new URL('./dashboards/', import.meta.url));

/** Each dashboard definition by the JSON file name it renders to. */
export async function loadDashboards(): Promise<Map<string, Dashboard>> {
  const out = new Map<string, Dashboard>();
  for (const file of fs.readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.dashboard.ts')).sort()) {
    const board = (await import(pathToFileURL(path.join(DASHBOARD_DIR, file)).href)).default as Dashboard;
    out.set(file.replace(/\.dashboard\.ts$/, '.json'), board);
  }
  return out;
}

export async function renderDashboards(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [name, board] of await loadDashboards()) out.set(name, `${JSON.stringify(board, null, 2)}\n`);
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  for (const [name, json] of await renderDashboards()) {
    fs.writeFileSync(path.join(DASHBOARD_DIR, name), json);
    console.log(`wrote grafana/dashboards/${name}`);
  }
}
