/**
 * A clone must test on its own: nothing the repository runs reads data from beside the checkout
 * (the team's ../shared is not in a user's clone; test/fixtures/ carries what the tests need).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const CODE = /\.(ts|js|mjs|cjs|sh|py|json|ya?ml)$|(^|\/)(Dockerfile|run)$/;

describe('the repository is self-contained', () => {
  it('no code, script or config reads ../shared (or any path outside the checkout)', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && CODE.test(f) && !f.startsWith('test/fixtures/') && f !== 'test/self-contained.test.ts');
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.filter((f) => {
      const p = path.join(root, f);
      if (!fs.existsSync(p)) return false;
      return /\.\.\/shared\b|\/work\/shared|shared\/data\b/.test(fs.readFileSync(p, 'utf8'));
    });
    expect(offenders).toEqual([]);
  });
});
