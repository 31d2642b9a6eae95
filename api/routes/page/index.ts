/**
 * The page at `/`: a live chart (api/page/: plain HTML, CSS and an ES module, no build step) and
 * the TradingView Lightweight Charts standalone build served from its npm package, with its
 * Apache-2.0 license beside it (`/assets/lightweight-charts/LICENSE`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ApiApp } from '../../deps.ts';

const require = createRequire(import.meta.url);
const PAGE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'page');
const CHARTS_DIR = path.dirname(require.resolve('lightweight-charts/package.json'));

const PAGE_FILES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

export function registerPageRoutes(app: ApiApp): void {
  app.get('/', (c) => c.body(fs.readFileSync(path.join(PAGE_DIR, 'index.html')), 200, { 'content-type': 'text/html; charset=utf-8' }));
  app.get('/page/:file', (c) => {
    const file = c.req.param('file');
    const type = PAGE_FILES[file];
    if (!type) return c.notFound();
    return c.body(fs.readFileSync(path.join(PAGE_DIR, file)), 200, { 'content-type': type });
  });
  app.get('/assets/lightweight-charts.js', (c) =>
    c.body(fs.readFileSync(path.join(CHARTS_DIR, 'dist', 'lightweight-charts.standalone.production.js')), 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
    }),
  );
  app.get('/assets/lightweight-charts/LICENSE', (c) => c.body(fs.readFileSync(path.join(CHARTS_DIR, 'LICENSE')), 200, { 'content-type': 'text/plain; charset=utf-8' }));
}
