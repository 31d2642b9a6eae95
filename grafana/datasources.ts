/**
 * The two data sources every board reads, by the uids that grafana/provisioning/datasources/*.yml
 * gives them: Prometheus (service metrics, quality gauges, lake table gauges) and our API through
 * the Infinity plugin (candles, indicators, alerts, whales, sentiment, coverage, quality results).
 */
import type { DataSourceRef } from '@grafana/schema';

export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' } as const satisfies DataSourceRef;

/** Infinity's plugin id: `GF_INSTALL_PLUGINS` in docker-compose.yml installs it. */
export const INFINITY_PLUGIN_ID = 'yesoreyeram-infinity-datasource';
export const MARKETLAKE_API = { type: INFINITY_PLUGIN_ID, uid: 'marketlake-api' } as const satisfies DataSourceRef;

export type DatasourceRef = typeof PROMETHEUS | typeof MARKETLAKE_API;
