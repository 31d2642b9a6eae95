/**
 * One Prometheus registry per process, with Node's default metrics and a `service` label on
 * every series, so that dashboards can tell the producer's heap from the API's.
 * `counter`, `gauge` and `histogram` get-or-create a metric on a registry: several components
 * (or several runs in one test process) may ask for the same series without an "already
 * registered" error.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetricsRegistry(service: string, opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'marketlake_' });
  return registry;
}

export interface MetricConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
}

export function counter<L extends string>(registry: Registry, cfg: MetricConfig<L>): Counter<L> {
  const existing = registry.getSingleMetric(cfg.name);
  if (existing) return existing as Counter<L>;
  return new Counter({ ...cfg, labelNames: [...cfg.labelNames], registers: [registry] });
}

export function gauge<L extends string>(registry: Registry, cfg: MetricConfig<L>): Gauge<L> {
  const existing = registry.getSingleMetric(cfg.name);
  if (existing) return existing as Gauge<L>;
  return new Gauge({ ...cfg, labelNames: [...cfg.labelNames], registers: [registry] });
}

export function histogram<L extends string>(registry: Registry, cfg: MetricConfig<L> & { readonly buckets: readonly number[] }): Histogram<L> {
  const existing = registry.getSingleMetric(cfg.name);
  if (existing) return existing as Histogram<L>;
  return new Histogram({ ...cfg, labelNames: [...cfg.labelNames], buckets: [...cfg.buckets], registers: [registry] });
}
