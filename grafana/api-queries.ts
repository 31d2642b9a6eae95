/**
 * Every read the boards make from our API through Infinity, in one place: the route, where the
 * rows sit in the answer, and the columns (with the type each panel expects). The Market and Data
 * quality boards use these; grafana/api-queries.int.test.ts fetches each URL from the running API on
 * a real lake and checks the columns are there with those types.
 * `${symbol}` and `${interval}` are the Market board's variables; `${__from}`/`${__to}` the time range.
 */
import { apiPost, apiQuery, col, TIME_RANGE_PARAMS, type InfinityQuery } from './infinity.ts';

const range = TIME_RANGE_PARAMS;

export const apiQueries = {
  /** The symbol variable's choices. */
  symbols: () => apiQuery('A', '/v1/symbols', 'symbols', [col.str('symbol')]),

  candles: (refId = 'A') =>
    apiQuery(refId, `/v1/ohlc/\${symbol}?interval=\${interval}&${range}&limit=1000`, 'candles', [
      col.time('window_start'),
      col.num('open'),
      col.num('high'),
      col.num('low'),
      col.num('close'),
      col.num('volume'),
      col.num('vwap', 'VWAP'),
    ]),

  closes: (refId = 'A') => apiQuery(refId, `/v1/ohlc/\${symbol}?interval=\${interval}&${range}&limit=1000`, 'candles', [col.time('window_start'), col.num('close')]),

  movingAverages: (refId = 'B') =>
    apiQuery(refId, `/v1/indicators/\${symbol}?interval=\${interval}&${range}&limit=1000`, 'indicators', [col.time('window_start'), col.num('sma_20', 'SMA 20'), col.num('sma_50', 'SMA 50')]),

  rsi: (refId = 'A') => apiQuery(refId, `/v1/indicators/\${symbol}?interval=\${interval}&${range}&limit=1000`, 'indicators', [col.time('window_start'), col.num('rsi_14', 'RSI 14')]),

  macd: (refId = 'A') =>
    apiQuery(refId, `/v1/indicators/\${symbol}?interval=\${interval}&${range}&limit=1000`, 'indicators', [
      col.time('window_start'),
      col.num('macd', 'MACD'),
      col.num('macd_signal', 'signal'),
      col.num('macd_hist', 'histogram'),
    ]),

  /** Alerts as annotations: Grafana takes `time`, `title`, `text` and `tags` fields. */
  alertAnnotations: (refId = 'Anno') =>
    apiQuery(refId, `/v1/alerts?symbol=\${symbol}&interval=\${interval}&${range}&limit=1000`, 'data', [
      col.time('window_start'),
      col.str('kind', 'title'),
      col.str('details', 'text'),
      col.str('severity', 'tags'),
    ]),

  alerts: (refId = 'A') =>
    apiQuery(refId, `/v1/alerts?symbol=\${symbol}&${range}&limit=1000`, 'data', [
      col.time('window_start'),
      col.str('interval'),
      col.str('kind'),
      col.str('severity'),
      col.num('value'),
      col.num('threshold'),
      col.str('details'),
      col.time('raised_at', 'raised_at'),
    ]),

  whales: (refId = 'A') =>
    apiQuery(refId, `/v1/whales?symbol=\${symbol}&${range}&limit=1000`, 'data', [
      col.time('trade_time'),
      col.num('price'),
      col.num('qty'),
      col.num('quote_qty', 'quote (USDT)'),
      col.str('is_buyer_maker'),
      col.str('trade_id'),
    ]),

  /** gold/sentiment per hour: Fear & Greed in force and the mean news headline score (scope ALL: every item). */
  sentiment: (refId = 'B') =>
    apiQuery(refId, `/v1/sentiment?${range}&limit=1000`, 'hourly', [
      col.time('hour'),
      col.str('scope'),
      col.num('fear_greed', 'Fear & Greed'),
      col.num('news_score_mean', 'news sentiment'),
    ]),

  /** gold/market_overview: CoinGecko's price beside Binance's last 1m close, and the difference in basis points. */
  overview: (refId = 'A') =>
    apiQuery(refId, '/v1/market/overview?limit=1000', 'data', [
      col.str('symbol'),
      col.num('binance_close', 'Binance'),
      col.num('coingecko_price', 'CoinGecko'),
      col.num('diff_bps', 'difference (bps)'),
      col.num('market_cap', 'market cap'),
      col.num('volume_24h', '24h volume'),
      col.time('coingecko_time', 'as of'),
    ]),

  coverage: (refId = 'A') =>
    apiQuery(refId, `/v1/coverage?${range}&limit=1000`, 'data', [
      col.str('symbol'),
      col.str('date'),
      col.str('layer'),
      col.num('minutes_expected'),
      col.num('candles_present'),
      col.num('quiet_minutes'),
      col.num('missing_minutes'),
    ]),

  qualityResults: (refId = 'A') =>
    apiQuery(refId, `/v1/quality?${range}&limit=1000`, 'data', [
      col.time('started_at'),
      col.str('check_name', 'check'),
      col.str('table_name', 'table'),
      col.str('severity'),
      col.str('status'),
      col.num('observed'),
      col.num('threshold'),
      col.num('failing_rows', 'failing rows'),
      col.num('duration_ms', 'ms'),
    ]),

  /** The failing rows themselves (gold/quality_failures, a JSON object each), through the read-only SQL route. */
  qualityFailures: (refId = 'A') =>
    apiPost(refId, '/v1/sql', { sql: 'SELECT started_at, check_name, table_name, "row" FROM gold_quality_failures ORDER BY started_at DESC LIMIT 200' }, 'rows', [
      col.time('started_at'),
      col.str('check_name', 'check'),
      col.str('table_name', 'table'),
      col.str('row', 'failing row'),
    ]),
} satisfies Record<string, (refId?: string) => InfinityQuery>;
