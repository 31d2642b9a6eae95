/** Platform health: is every service up, and what does it cost in CPU, memory and event-loop lag. */
import { dashboard, stat, timeseries } from '../panels.ts';

export default dashboard(
  'marketlake-services',
  'marketlake / services',
  [
    stat('Services up', { expr: 'sum(up{job=~"marketlake-.*"})' }, { description: 'marketlake services answering /metrics' }),
    stat('Services down', { expr: 'count(up{job=~"marketlake-.*"} == 0) or vector(0)' }),
    stat('Scrape targets', { expr: 'count(up{job=~"marketlake-.*"})' }),
    stat('Prometheus up', { expr: 'up{job="prometheus"}' }),
    timeseries('Up by service', [{ expr: 'up{job=~"marketlake-.*"}', legend: '{{job}}' }], { w: 24 }),
    timeseries('Resident memory', [{ expr: 'marketlake_process_resident_memory_bytes', legend: '{{service}}' }], { unit: 'bytes' }),
    timeseries('CPU', [{ expr: 'rate(marketlake_process_cpu_seconds_total[1m])', legend: '{{service}}' }], { unit: 'percentunit' }),
    timeseries('Event-loop lag p99', [{ expr: 'marketlake_nodejs_eventloop_lag_p99_seconds', legend: '{{service}}' }], { unit: 's' }),
    timeseries('Heap used', [{ expr: 'sum by (service) (marketlake_nodejs_heap_space_size_used_bytes)', legend: '{{service}}' }], { unit: 'bytes' }),
  ],
  { tags: ['ops'] },
);
