/**
 * Metrics that several producers (or several runs in one test process) register on the same
 * prom-client registry: return the existing series instead of failing with "already registered".
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Config<L extends string> = { name: string; help: string; labelNames: readonly L[] };

export function counter<L extends string>(registry: Registry, cfg: Config<L>): Counter<L> {
  const existing = registry.getSingleMetric(cfg.name);
  if (existing) return existing as Counter<L>;
  return new Counter({ ...cfg, labelNames: [...cfg.labelNames], registers: [registry] });
}

export function gauge<L extends string>(registry: Registry, cfg: Config<L>): Gauge<L> {
  const existing = registry.getSingleMetric(cfg.name);
  if (existing) return existing as Gauge<L>;
  return new Gauge({ ...cfg, labelNames: [...cfg.labelNames], registers: [registry] });
}

export function histogram<L extends string>(registry: Registry, cfg: Config<L> & { buckets: number[] }): Histogram<L> {
  const existing = registry.getSingleMetric(cfg.name);
  if (existing) return existing as Histogram<L>;
  return new Histogram({ ...cfg, labelNames: [...cfg.labelNames], registers: [registry] });
}
