/**
 * GOLD_PROFILE=1: per-phase laps inside a build (wall and process CPU time since the previous
 * lap; CPU time counts DuckDB's threads too, and holds up better than wall time on a busy machine).
 */
export type Lap = (phase: string) => void;

export function profiler(log: (message: string) => void): Lap {
  if (!process.env.GOLD_PROFILE) return () => {};
  let wall = performance.now();
  let cpu = process.cpuUsage();
  return (phase) => {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    log(`${phase}: ${(now - wall).toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms cpu`);
    wall = now;
    cpu = process.cpuUsage();
  };
}
