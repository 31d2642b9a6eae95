/**
 * One Prometheus registry per process, with Node's default metrics and a `service` label on
 * every series, so that dashboards can tell the producer's heap from the API's.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

export function createMetricsRegistry(service: string, opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'marketlake_' });
  return registry;
}
