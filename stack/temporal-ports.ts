/**
 * The ports of the Temporal dev server, apart from its component (stack/temporal.ts) so that the
 * settings (stack/settings.ts) can name the metrics port without importing the component that
 * imports them.
 */

/** The frontend port and the two after it (HTTP API, metrics): pick TEMPORAL_PORT with `freePortRun(3)`. */
export const TEMPORAL_CONSECUTIVE_PORTS = 3;

/** The dev server's /metrics port (Prometheus job `temporal`): the frontend port + 2. */
export function temporalMetricsPort(frontendPort: number): number {
  return frontendPort + 2;
}
