/**
 * The analytics resources, each a list over its gold view: `/v1/signals`, `/v1/alerts`,
 * `/v1/whales`, `/v1/market/overview`, `/v1/coverage`, `/v1/quality` (columns: the gold table definitions in transforms/models/; ARCHITECTURE.md, "Tables").
 */
import { z } from '@hono/zod-openapi';
import type { ApiApp } from '../../deps.ts';
import type { ApiDeps } from '../../deps.ts';
import { registerGoldList } from './gold-list.ts';

const value = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const opt = (description?: string) => value.optional().openapi(description ? { description } : {});

const alertRow = z
  .object({
    alert_id: opt('deterministic: kind, symbol, interval, window'),
    exchange: opt(),
    symbol: opt(),
    interval: opt(),
    window_start: opt(),
    kind: opt(),
    severity: opt(),
    value: opt(),
    threshold: opt(),
    details: opt(),
    raised_at: opt(),
  })
  .catchall(z.unknown());

export function registerAnalyticsRoutes(app: ApiApp, deps: ApiDeps): void {
  registerGoldList(app, deps, {
    path: '/v1/signals',
    view: 'gold_signals',
    name: 'Signal',
    summary: 'Trading signals',
    description: 'Indicator-derived signals (SMA/MACD crosses, RSI, Bollinger breaks, spikes).',
    equals: ['symbol', 'interval', 'kind', 'exchange'],
    timeColumns: ['window_start', 'raised_at'],
    rowSchema: alertRow.openapi('SignalRow'),
  });
  registerGoldList(app, deps, {
    path: '/v1/alerts',
    view: 'gold_alerts',
    name: 'Alert',
    summary: 'Alerts',
    description: 'Alerts raised by the gold build (also sent once to market.alerts.v1).',
    equals: ['symbol', 'interval', 'kind', 'severity', 'exchange'],
    timeColumns: ['window_start', 'raised_at'],
    rowSchema: alertRow.openapi('AlertRow'),
  });
  registerGoldList(app, deps, {
    path: '/v1/whales',
    view: 'gold_whale_trades',
    name: 'Whale',
    summary: 'Whale trades',
    description: 'Trades worth at least $100,000 in quote, with their bronze columns.',
    equals: ['symbol', 'exchange'],
    timeColumns: ['trade_time'],
    rowSchema: z
      .object({ exchange: opt(), symbol: opt(), trade_id: opt(), price: opt(), qty: opt(), quote_qty: opt(), is_buyer_maker: opt(), trade_time: opt() })
      .catchall(z.unknown())
      .openapi('WhaleTradeRow'),
  });
  registerGoldList(app, deps, {
    path: '/v1/market/overview',
    view: 'gold_market_overview',
    name: 'MarketOverview',
    summary: 'Market overview',
    description: 'CoinGecko beside Binance per symbol, with the difference in basis points.',
    equals: ['symbol'],
    timeColumns: ['as_of', 'known_at', 'window_start', 'hour', 'computed_at'],
    rowSchema: z.object({ symbol: opt() }).catchall(z.unknown()).openapi('MarketOverviewRow'),
  });
  registerGoldList(app, deps, {
    path: '/v1/coverage',
    view: 'gold_coverage',
    name: 'Coverage',
    summary: 'Data coverage per symbol, day and layer',
    description: 'Minutes expected, present, quiet (candle without trades) and missing per day.',
    equals: ['symbol', 'layer', 'exchange'],
    timeColumns: [],
    dateColumn: 'date',
    rowSchema: z
      .object({ exchange: opt(), symbol: opt(), date: opt(), layer: opt(), minutes_expected: opt(), candles_present: opt(), quiet_minutes: opt(), missing_minutes: opt(), late_revisions: opt(), sources: opt(), last_updated: opt() })
      .catchall(z.unknown())
      .openapi('CoverageRow'),
  });
  registerGoldList(app, deps, {
    path: '/v1/quality',
    view: 'gold_quality_results',
    name: 'Quality',
    summary: 'Data-quality check results',
    description: 'One row per check and run.',
    equals: ['check_name', 'status', 'severity', 'table_name', 'run_id'],
    timeColumns: ['started_at'],
    rowSchema: z
      .object({ run_id: opt(), check_name: opt(), table_name: opt(), severity: opt(), status: opt(), observed: opt(), threshold: opt(), failing_rows: opt(), started_at: opt(), duration_ms: opt() })
      .catchall(z.unknown())
      .openapi('QualityRow'),
  });
}
