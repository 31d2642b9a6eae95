import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, baseEnvSchema, kafkaBrokerList, loadBaseConfig, parseEnv } from './config.ts';

describe('configuration from the environment', () => {
  it('applies the documented defaults', () => {
    const config = loadBaseConfig({});
    expect(config.KAFKA_PORT).toBe(9092);
    expect(config.TEMPORAL_PORT).toBe(7233);
    expect(config.TEMPORAL_UI_PORT).toBe(8233);
    expect(config.API_PORT).toBe(8000);
    expect(config.PROMETHEUS_PORT).toBe(9090);
    expect(config.GRAFANA_PORT).toBe(3000);
    expect(config.LAKE_DIR).toBe('./lake/data');
  });

  it('coerces and validates ports', () => {
    expect(loadBaseConfig({ KAFKA_PORT: '19092' }).KAFKA_PORT).toBe(19092);
    expect(() => loadBaseConfig({ KAFKA_PORT: 'ninety' })).toThrow(ConfigError);
  });

  it('names every bad variable in one error', () => {
    try {
      loadBaseConfig({ KAFKA_PORT: '70000', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/KAFKA_PORT/);
      expect((err as Error).message).toMatch(/LOG_LEVEL/);
    }
  });

  it('lets a service extend the base schema', () => {
    const schema = baseEnvSchema.extend({ SYMBOLS: z.string().default('BTCUSDT') });
    expect(parseEnv(schema, { SYMBOLS: 'ETHUSDT' }).SYMBOLS).toBe('ETHUSDT');
  });

  it('splits the broker list', () => {
    expect(kafkaBrokerList({ KAFKA_BROKERS: 'a:1, b:2,' })).toEqual(['a:1', 'b:2']);
  });
});
