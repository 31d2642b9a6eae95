/** Runs the delta-rs helper (delta_rs.py) in the cached virtualenv that ensure-venv.sh builds. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let python: string | undefined;

/** Creates the venv on first use (pip install from PyPI, cached under MARKETLAKE_CACHE_DIR). */
export function deltaRsPython(): string {
  python ??= execFileSync(path.join(here, 'ensure-venv.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 }).trim();
  return python;
}

export function deltaRs<T>(...args: string[]): T {
  const out = execFileSync(deltaRsPython(), [path.join(here, 'delta_rs.py'), ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  return JSON.parse(out) as T;
}
