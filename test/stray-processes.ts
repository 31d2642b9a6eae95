/**
 * Finds processes a test run left behind. The global setup puts a marker variable into the
 * environment; every process the run starts (test workers, the services and helpers they spawn,
 * their children) inherits it, also once it is orphaned and re-parented to init. At teardown,
 * whatever still carries the marker (other than the run itself and its own pool workers, which
 * vitest stops) is a stray.
 *
 * Linux only (it reads /proc); elsewhere `strayProcesses` finds nothing.
 */
import fs from 'node:fs';

export const TEST_RUN_MARKER = 'MARKETLAKE_TEST_RUN';

export interface StrayProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly command: string;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
}

/** Processes whose environment holds `MARKETLAKE_TEST_RUN=<runId>`, except `exceptPid` and its direct children. */
export function strayProcesses(runId: string, exceptPid = process.pid): StrayProcess[] {
  if (!fs.existsSync('/proc/self/environ')) return [];
  const needle = `${TEST_RUN_MARKER}=${runId}`;
  const found: StrayProcess[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === exceptPid) continue;
    const environ = readProc(pid, 'environ');
    if (!environ || !environ.split('\0').includes(needle)) continue;
    const stat = readProc(pid, 'stat') ?? '';
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === exceptPid) continue; // vitest's own pool workers: vitest ends them
    const command = (readProc(pid, 'cmdline') ?? '').split('\0').filter(Boolean).join(' ').slice(0, 200);
    if (readProc(pid, 'stat')?.includes(') Z ')) continue; // a zombie holds no resources
    found.push({ pid, ppid, command });
  }
  return found;
}

/**
 * Waits up to `graceMs` for the run's processes to end; returns those still alive, after sending
 * them SIGKILL (they are this run's own, and would otherwise outlive it).
 */
export async function reapStrayProcesses(runId: string, graceMs = 10_000): Promise<StrayProcess[]> {
  const deadline = Date.now() + graceMs;
  let strays = strayProcesses(runId);
  while (strays.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    strays = strayProcesses(runId);
  }
  for (const s of strays) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      /* ended meanwhile */
    }
  }
  return strays;
}
