/**
 * The worker's configuration: WORKER_GOLD_MEMORY_LIMIT bounds the gold engine the worker keeps
 * open (its DuckDB caches live as long as the worker), a size or a clear error at start.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Lake, LakeQueryEngine, queryJson } from '../lake/index.ts';
import { loadWorkerConfig } from './config.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('worker configuration', () => {
  it('bounds the gold engine by WORKER_GOLD_MEMORY_LIMIT (default 4GB), refusing what is not a size', async () => {
    expect(loadWorkerConfig({ LAKE_DIR: dir }).WORKER_GOLD_MEMORY_LIMIT).toBe('4GB');
    const config = loadWorkerConfig({ LAKE_DIR: dir, WORKER_GOLD_MEMORY_LIMIT: '512MB' });
    expect(config.WORKER_GOLD_MEMORY_LIMIT).toBe('512MB');
    expect(() => loadWorkerConfig({ LAKE_DIR: dir, WORKER_GOLD_MEMORY_LIMIT: 'four gigs' })).toThrow(/WORKER_GOLD_MEMORY_LIMIT/);
    // As workflows/main.ts opens it.
    const engine = await LakeQueryEngine.open({ lake: new Lake(dir), readOnly: false, memoryLimit: config.WORKER_GOLD_MEMORY_LIMIT });
    try {
      const [row] = await queryJson(engine.connection, `SELECT current_setting('memory_limit') AS limit`);
      expect(String(row.limit)).toBe('488.2 MiB'); // 512 MB in DuckDB's binary units
    } finally {
      engine.close();
    }
  });
});
