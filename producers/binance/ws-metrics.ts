/** Prometheus series of the Binance websocket producer. */
import type { Registry } from 'prom-client';
import { counter, gauge, histogram } from '../polling/registry-metrics.ts';

export function binanceWsMetrics(registry: Registry) {
  return {
    frames: counter(registry, { name: 'marketlake_binance_ws_frames_total', help: 'Websocket frames by verdict (trade, ignored, invalid)', labelNames: ['verdict'] }),
    trades: counter(registry, { name: 'marketlake_binance_ws_trades_total', help: 'Trades received on the websocket by symbol', labelNames: ['symbol'] }),
    duplicates: counter(registry, { name: 'marketlake_binance_ws_duplicate_trades_total', help: 'Trades received again (id not above the last one) and skipped', labelNames: ['symbol'] }),
    connects: counter(registry, { name: 'marketlake_binance_ws_connects_total', help: 'Websocket connections opened', labelNames: [] }),
    disconnects: counter(registry, { name: 'marketlake_binance_ws_disconnects_total', help: 'Websocket connections lost or closed, by cause', labelNames: ['cause'] }),
    disconnectSeconds: histogram(registry, {
      name: 'marketlake_binance_ws_disconnect_seconds',
      help: 'How long each disconnect lasted, from losing a connection to the next one open',
      labelNames: [],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    }),
    connected: gauge(registry, { name: 'marketlake_binance_ws_connected', help: 'Open websocket connections', labelNames: [] }),
    gaps: counter(registry, { name: 'marketlake_binance_ws_gaps_total', help: 'Gaps in trade id sequences by symbol and status (filled from REST or open)', labelNames: ['symbol', 'status'] }),
    missingTrades: counter(registry, { name: 'marketlake_binance_ws_missing_trades_total', help: 'Trade ids missing in gaps, by symbol', labelNames: ['symbol'] }),
    repairedTrades: counter(registry, { name: 'marketlake_binance_ws_repaired_trades_total', help: 'Trades fetched from REST to fill gaps', labelNames: ['symbol'] }),
    lastMessage: gauge(registry, { name: 'marketlake_binance_ws_last_message_timestamp_seconds', help: 'Unix time of the last websocket message', labelNames: [] }),
  };
}

export type BinanceWsMetrics = ReturnType<typeof binanceWsMetrics>;

/** A short label for why a connection ended. */
export function disconnectCause(reason: string): string {
  if (reason.startsWith('stale')) return 'stale';
  if (reason.startsWith('planned')) return 'planned';
  if (reason.startsWith('error')) return 'error';
  if (reason.startsWith('closed by server')) return 'server';
  if (reason === 'shutdown' || reason === 'consumer stopped') return 'shutdown';
  return 'other';
}
