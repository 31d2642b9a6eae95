/**
 * The market as a trader sees it, read from our API through Infinity: candles with volume, VWAP and
 * SMA 20/50, RSI and MACD, alerts (as annotations on the chart and as a table), whale trades,
 * Fear & Greed and news sentiment beside the price, and CoinGecko's price beside Binance's.
 */
import type { AnnotationQuery, VariableModel } from '@grafana/schema';
import { VariableRefresh, VariableSort } from '@grafana/schema';
import { apiQueries } from '../api-queries.ts';
import { MARKETLAKE_API } from '../datasources.ts';
import { bars, candlestick, dashboard, rightAxis, stat, table, thresholds, timeseries } from '../panels.ts';

const joinOnTime = [{ id: 'joinByField', options: { byField: 'time', mode: 'outer' } }];
/** gold/sentiment has a row per hour and scope; ALL is every headline, the others one coin's. */
const allScope = { id: 'filterByValue', options: { type: 'include', match: 'any', filters: [{ fieldName: 'scope', config: { id: 'equal', options: { value: 'ALL' } } }] } };

const variables: VariableModel[] = [
  {
    type: 'query',
    name: 'symbol',
    label: 'Symbol',
    datasource: MARKETLAKE_API,
    query: { queryType: 'infinity', refId: 'variable', infinityQuery: apiQueries.symbols() } as unknown as Record<string, unknown>,
    refresh: VariableRefresh.onDashboardLoad,
    sort: VariableSort.alphabeticalAsc,
    current: { text: 'BTCUSDT', value: 'BTCUSDT' },
  },
  {
    type: 'custom',
    name: 'interval',
    label: 'Interval',
    query: '1m,5m,15m,1h,4h,1d',
    current: { text: '1m', value: '1m' },
    options: ['1m', '5m', '15m', '1h', '4h', '1d'].map((v) => ({ text: v, value: v, selected: v === '1m' })),
  },
];

const annotations: AnnotationQuery[] = [
  {
    name: 'Alerts',
    datasource: MARKETLAKE_API,
    enable: true,
    iconColor: 'orange',
    target: apiQueries.alertAnnotations(),
  },
];

export default dashboard(
  'marketlake-market',
  'marketlake / market',
  [
    stat('Last close', apiQueries.closes(), { unit: 'currencyUSD', decimals: 2, w: 6 }),
    stat('Fear & Greed', apiQueries.sentiment('A'), { min: 0, max: 100, w: 6, graph: false, thresholds: thresholds(25, 75), transformations: [allScope, { id: 'organize', options: { excludeByName: { 'news sentiment': true, scope: true } } }], description: 'alternative.me index: 0 extreme fear, 100 extreme greed' }),
    stat('RSI 14', apiQueries.rsi(), { min: 0, max: 100, decimals: 1, thresholds: thresholds(70, 80), w: 6 }),
    stat('CoinGecko vs Binance (bps)', apiQueries.overview(), {
      unit: 'none',
      decimals: 1,
      w: 6,
      graph: false,
      transformations: [{ id: 'filterByValue', options: { type: 'include', match: 'any', filters: [{ fieldName: 'symbol', config: { id: 'equal', options: { value: '${symbol}' } } }] } }, { id: 'organize', options: { includeByName: { 'difference (bps)': true } } }],
      description: 'CoinGecko price minus Binance close, in basis points of the Binance close',
    }),

    candlestick('${symbol} ${interval}', [apiQueries.candles('A'), apiQueries.movingAverages('B')], { open: 'open', high: 'high', low: 'low', close: 'close', volume: 'volume' }, {
      unit: 'currencyUSD',
      transformations: joinOnTime,
      description: 'Candles from silver (exact decimals), VWAP per candle, SMA 20/50 from gold/indicators; alerts are the orange marks',
      overrides: [
        { matcher: { id: 'byName', options: 'VWAP' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'purple' } }] },
        { matcher: { id: 'byName', options: 'SMA 20' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'yellow' } }] },
        { matcher: { id: 'byName', options: 'SMA 50' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'blue' } }] },
      ],
    }),

    timeseries('RSI 14', [apiQueries.rsi()], { min: 0, max: 100, thresholds: thresholds(70, 80), draw: { thresholdsStyle: { mode: 'line' } } as never, h: 7 }),
    timeseries('MACD (12, 26, 9)', [apiQueries.macd()], { overrides: bars(['histogram']), h: 7 }),

    timeseries('Price beside Fear & Greed and news sentiment', [apiQueries.closes('A'), apiQueries.sentiment('B')], {
      unit: 'currencyUSD',
      w: 24,
      transformations: [allScope, { id: 'organize', options: { excludeByName: { scope: true } } }, ...joinOnTime],
      overrides: rightAxis(['Fear & Greed', 'news sentiment'], 'none'),
      description: 'gold/sentiment, hourly, as known before each hour ended (no look-ahead): Fear & Greed 0-100 and the mean headline score of the hour\'s news',
    }),

    table('Alerts', [apiQueries.alerts()], { w: 12, h: 9, sortBy: [{ displayName: 'time', desc: true }] }),
    table('Whale trades (≥ $100k)', [apiQueries.whales()], { w: 12, h: 9, sortBy: [{ displayName: 'time', desc: true }], unit: 'none' }),
    table('CoinGecko overview', [apiQueries.overview()], {
      w: 24,
      h: 7,
      overrides: [{ matcher: { id: 'byName', options: 'difference (bps)' }, properties: [{ id: 'custom.cellOptions', value: { type: 'color-text' } }, { id: 'thresholds', value: thresholds(25, 100) }] }],
    }),
  ],
  { tags: ['market'], variables, annotations, time: { from: 'now-6h', to: 'now' }, refresh: '30s' },
);
