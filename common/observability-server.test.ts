import { describe, expect, it } from 'vitest';
import { Counter } from 'prom-client';
import { createMetricsRegistry } from './metrics.ts';
import { startObservabilityServer } from './observability-server.ts';

describe('metrics and health endpoint', () => {
  it('serves /metrics with the service label and /health with the check result', async () => {
    const registry = createMetricsRegistry('unit-test');
    const counter = new Counter({ name: 'marketlake_test_events_total', help: 'test', registers: [registry] });
    counter.inc(3);
    let healthy = true;
    const server = await startObservabilityServer({
      service: 'unit-test',
      registry,
      port: 0,
      host: '127.0.0.1',
      health: () => ({ status: healthy ? 'ok' : 'down', checks: { kafka: { status: healthy ? 'ok' : 'down' } } }),
    });
    try {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/marketlake_test_events_total\{service="unit-test"\} 3/);
      expect(metrics).toMatch(/marketlake_process_cpu_seconds_total/);

      const ok = await fetch(`${server.url}/health`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ service: 'unit-test', status: 'ok' });

      healthy = false;
      const down = await fetch(`${server.url}/health`);
      expect(down.status).toBe(503);
      expect((await down.json()).checks.kafka.status).toBe('down');

      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
