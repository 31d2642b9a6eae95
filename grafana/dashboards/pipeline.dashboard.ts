/**
 * The data path from source to lake: what producers publish, what reaches Kafka, how far the
 * streaming service lags, how late the watermark is, and what went to the dead-letter topic.
 */
import { dashboard, stat, timeseries } from '../panels.ts';

export default dashboard(
  'marketlake-pipeline',
  'marketlake / pipeline',
  [
    stat('Trades/s delivered to Kafka', { expr: 'sum(rate(marketlake_producer_events_delivered_total{topic=~"market.trades.v1.*"}[1m]))' }, { unit: 'ops' }),
    stat('Trades/s into the lake', { expr: 'sum(rate(marketlake_stream_events_total{topic=~"market.trades.v1.*",outcome="accepted"}[1m]))' }, { unit: 'ops' }),
    stat('Consumer lag (messages)', { expr: 'sum(marketlake_stream_consumer_lag)' }),
    stat('Watermark delay', { expr: 'max(marketlake_stream_watermark_delay_seconds)' }, { unit: 's' }),

    timeseries('Events delivered by source', [{ expr: 'sum by (source, topic) (rate(marketlake_producer_events_delivered_total[1m]))', legend: '{{source}} → {{topic}}' }], { unit: 'ops' }),
    timeseries('Trades delivered by symbol', [{ expr: 'sum by (symbol) (rate(marketlake_producer_events_delivered_total{topic=~"market.trades.v1.*"}[1m]))', legend: '{{symbol}}' }], { unit: 'ops' }),
    timeseries('Publish latency (p50, p99)', [
      { expr: 'histogram_quantile(0.5, sum by (le) (rate(marketlake_producer_delivery_latency_seconds_bucket[5m])))', legend: 'p50' },
      { expr: 'histogram_quantile(0.99, sum by (le) (rate(marketlake_producer_delivery_latency_seconds_bucket[5m])))', legend: 'p99' },
    ], { unit: 's' }),
    timeseries('Producer buffer and backpressure', [
      { expr: 'sum(marketlake_producer_buffer_events)', legend: 'buffered events' },
      { expr: 'sum(rate(marketlake_producer_backpressure_seconds_total[1m]))', legend: 'time sources waited (s/s)' },
    ]),
    timeseries('Streaming outcomes', [{ expr: 'sum by (outcome) (rate(marketlake_stream_events_total[1m]))', legend: '{{outcome}}' }], { unit: 'ops', description: 'accepted, late (revised candles), duplicate, dead-lettered' }),
    timeseries('Consumer lag by partition', [{ expr: 'marketlake_stream_consumer_lag', legend: '{{topic}}/{{partition}}' }]),
    timeseries('Lake commit latency p99', [{ expr: 'histogram_quantile(0.99, sum by (le, table) (rate(marketlake_stream_commit_seconds_bucket[5m])))', legend: '{{table}}' }], { unit: 's' }),
    timeseries('Candles emitted', [{ expr: 'sum by (kind) (rate(marketlake_stream_candles_total[1m]))', legend: '{{kind}}' }], { unit: 'ops' }),
    timeseries('Dead letters', [
      { expr: 'sum by (topic) (rate(marketlake_producer_dead_letters_total[5m]))', legend: 'producer: {{topic}}' },
      { expr: 'sum(rate(marketlake_stream_events_total{outcome="deadletter"}[5m]))', legend: 'stream' },
    ], { unit: 'ops' }),
    timeseries('Binance websocket', [
      { expr: 'sum(marketlake_binance_ws_connected)', legend: 'connections' },
      { expr: 'sum(increase(marketlake_binance_ws_disconnects_total[5m]))', legend: 'disconnects (5m)' },
      { expr: 'sum by (status) (increase(marketlake_binance_ws_gaps_total[5m]))', legend: 'gaps {{status}} (5m)' },
    ]),
  ],
  { tags: ['pipeline'] },
);
