import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { Counter } from 'prom-client';
import { createMetricsRegistry } from './metrics.ts';
import { startObservabilityServer } from './observability-server.ts';
import { ServicePortInUseError } from './startup-errors.ts';

/** An address of this machine that is not loopback, if it has one. */
const externalAddress = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

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

  it.runIf(externalAddress)('binds loopback by default, every interface only when configured (METRICS_HOST=0.0.0.0)', async () => {
    const registry = createMetricsRegistry('unit-test');
    const health = () => ({ status: 'ok' as const });
    const local = await startObservabilityServer({ service: 'unit-test', registry, port: 0, health });
    try {
      expect(local.url).toBe(`http://127.0.0.1:${local.port}`);
      expect((await fetch(`${local.url}/health`)).status).toBe(200);
      await expect(fetch(`http://${externalAddress}:${local.port}/health`)).rejects.toThrow();
    } finally {
      await local.close();
    }
    const all = await startObservabilityServer({ service: 'unit-test', registry, port: 0, health, host: '0.0.0.0' });
    try {
      expect((await fetch(`http://${externalAddress}:${all.port}/health`)).status).toBe(200);
    } finally {
      await all.close();
    }
  });

  it('a taken port is a ServicePortInUseError naming the variable that moves it', async () => {
    const registry = createMetricsRegistry('unit-test');
    const first = await startObservabilityServer({ service: 'a', registry, port: 0, health: () => ({ status: 'ok' }) });
    try {
      const err = await startObservabilityServer({ service: 'b', registry, port: first.port, portEnvVar: 'STREAM_METRICS_PORT', health: () => ({ status: 'ok' }) }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(ServicePortInUseError);
      expect((err as Error).message).toBe(`port ${first.port} on 127.0.0.1 is already in use by another process: stop it or choose another port with STREAM_METRICS_PORT`);
    } finally {
      await first.close();
    }
  });
});
